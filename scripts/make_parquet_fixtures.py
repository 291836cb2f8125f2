"""Parquet twins of TRL-format datasets, written by pyarrow with snappy compression (what Hugging Face datasets
publish), so the Parquet reader is tested on files the real tools wrote. Run by hand (pip install pyarrow==21.0.0):

    python scripts/make_parquet_fixtures.py

Writes test/fixtures/data/{prompts-chat,pairs-standard}.parquet; the tests compare them with the same rows as JSONL.
"""
import os

import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "data")

PROMPTS_CHAT = [
    {"prompt": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What color is the sky?"}]},
    {"prompt": [{"role": "user", "content": "Name a prime number."}]},
]

PAIRS_STANDARD = [
    {"prompt": "The sky is", "chosen": " blue.", "rejected": " green.", "score_chosen": 8.0, "score_rejected": 2.5},
    {"prompt": "Two plus two is", "chosen": " four.", "rejected": " five.", "score_chosen": 9.0, "score_rejected": 1},
]


def main():
    os.makedirs(OUT, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(PROMPTS_CHAT), os.path.join(OUT, "prompts-chat.parquet"), compression="snappy")
    pairs = pa.Table.from_pylist(PAIRS_STANDARD).cast(pa.schema([
        ("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string()),
        ("score_chosen", pa.float64()), ("score_rejected", pa.float64()),
    ]))
    pq.write_table(pairs, os.path.join(OUT, "pairs-standard.parquet"), compression="snappy")


if __name__ == "__main__":
    main()
