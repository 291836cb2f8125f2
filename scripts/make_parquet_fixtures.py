"""Parquet twins of TRL-format datasets, written by pyarrow with snappy compression (what Hugging Face datasets
publish), so the Parquet reader is tested on files the real tools wrote. Run by hand (pip install pyarrow==21.0.0):

    python scripts/make_parquet_fixtures.py

Writes test/fixtures/data/{prompts-chat,prompts-eval,prompts-standard,pairs-standard}.parquet, which the tests
compare with the same rows as JSONL (prompts-eval.parquet is prompts-eval.jsonl's twin, the held-out prompts of the
own-data campaign under Temporal), and two bad prompt files whose errors must name the file, the row and the column:
prompts-bad-role.parquet (row 2 has a message with role "robot") and prompts-no-prompt.parquet (a "text" column only).
"""
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "data")

PROMPTS_CHAT = [
    {"prompt": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What color is the sky?"}]},
    {"prompt": [{"role": "user", "content": "Name a prime number."}]},
]

PROMPTS_STANDARD = [{"prompt": "The sky is"}, {"prompt": "Once upon a time"}]

PROMPTS_BAD_ROLE = [
    {"prompt": [{"role": "user", "content": "Hi?"}]},
    {"prompt": [{"role": "robot", "content": "Beep?"}]},
]

PROMPTS_NO_PROMPT = [{"text": "The sky is"}]

PAIRS_STANDARD = [
    {"prompt": "The sky is", "chosen": " blue.", "rejected": " green.", "score_chosen": 8.0, "score_rejected": 2.5},
    {"prompt": "Two plus two is", "chosen": " four.", "rejected": " five.", "score_chosen": 9.0, "score_rejected": 1},
]


def main():
    os.makedirs(OUT, exist_ok=True)
    def write(rows, name):
        pq.write_table(pa.Table.from_pylist(rows), os.path.join(OUT, name), compression="snappy")

    write(PROMPTS_CHAT, "prompts-chat.parquet")
    with open(os.path.join(OUT, "prompts-eval.jsonl")) as f:
        write([json.loads(line) for line in f if line.strip()], "prompts-eval.parquet")
    write(PROMPTS_STANDARD, "prompts-standard.parquet")
    write(PROMPTS_BAD_ROLE, "prompts-bad-role.parquet")
    write(PROMPTS_NO_PROMPT, "prompts-no-prompt.parquet")
    pairs = pa.Table.from_pylist(PAIRS_STANDARD).cast(pa.schema([
        ("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string()),
        ("score_chosen", pa.float64()), ("score_rejected", pa.float64()),
    ]))
    pq.write_table(pairs, os.path.join(OUT, "pairs-standard.parquet"), compression="snappy")


if __name__ == "__main__":
    main()
