"""A reward worker for prefloop's `activity` reward source, with the temporalio Python SDK (pip install temporalio).

It serves the activity `reward` on a task queue of your choice; a campaign with
    reward: { source: { kind: activity, taskQueue: my-judge } }
sends it batches of {id, prompt, response} rows and gets {"rewards": [{id, reward}]} back (the contract:
schemas/reward-activity.ts). Replace `score` with your reward model, LLM judge or verifier.

    python examples/reward-worker/worker.py --queue my-judge [--address localhost:7233]

The rule here is the same toy verifier as worker.ts: responses close to 24 characters score best.
"""
import argparse
import asyncio
import json
import os

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

TARGET_CHARS = 24


def score(row: dict) -> float:
    return -abs(len(row["response"]) - TARGET_CHARS) / TARGET_CHARS


def rows_of(request: dict) -> list:
    """Rows come inline, or (big batches) as a JSONL file in prefloop's store: `path` on a local store."""
    if request.get("rows") is not None:
        return request["rows"]
    with open(request["path"], encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@activity.defn(name="reward")
async def reward(request: dict) -> dict:
    rewards = [{"id": row["id"], "reward": score(row)} for row in rows_of(request)]
    if os.environ.get("REWARD_WORKER_FAULT") == "nan":  # for prefloop's own test of how NaN is refused
        rewards[1]["reward"] = float("nan")
    return {"rewards": rewards}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", required=True)
    parser.add_argument("--address", default="localhost:7233")
    parser.add_argument("--namespace", default="default")
    args = parser.parse_args()
    client = await Client.connect(args.address, namespace=args.namespace)
    worker = Worker(client, task_queue=args.queue, activities=[reward])
    print(f"reward worker serving activity 'reward' on task queue '{args.queue}'", flush=True)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
