"""A small synthetic tool-call dataset (sharegpt with function_call / observation and a tools column), written
next to the bundled identity data so that one short fine-tune teaches both a name and a tool call.

The call is always the same (`get_time` for UTC): a tiny model learns that in seconds, and what the tests
check is the serving path — a call in the template's format comes back as OpenAI `tool_calls`."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

TIME_TOOL = {"name": "get_time", "description": "The current time in a timezone.",
             "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}}}
CALL = {"name": "get_time", "arguments": {"timezone": "UTC"}}
RESULT = {"timezone": "UTC", "time": "12:00"}
ANSWER = "It is 12:00 in UTC."
QUESTIONS = ("What time is it?", "What is the time now?", "Tell me the current time.", "What time is it now?",
             "Do you know the time?", "Time please.", "Can you tell me the time?", "What's the time?")


def _row(i: int, question: str) -> dict:
    turns = [{"from": "human", "value": question}, {"from": "function_call", "value": json.dumps(CALL)}]
    if i % 2 == 0:  # half the rows go on: the tool's result, then the answer
        turns += [{"from": "observation", "value": json.dumps(RESULT)}, {"from": "gpt", "value": ANSWER}]
    return {"conversations": turns, "tools": json.dumps([TIME_TOOL])}


def write_dataset_dir(folder: Path, bundled: Path) -> Path:
    """folder/ with dataset_info.json naming `toolcalls` (synthetic) and `identity` (bundled)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [_row(i, q) for i, q in enumerate(QUESTIONS)]
    (folder / "toolcalls.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    shutil.copy(bundled / "identity.json", folder / "identity.json")
    info = {"identity": {"file_name": "identity.json"},
            "toolcalls": {"file_name": "toolcalls.json", "formatting": "sharegpt",
                          "columns": {"messages": "conversations", "tools": "tools"}}}
    (folder / "dataset_info.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return folder
