"""Bad input fails with one UserError that names the file, the row and the field."""
from __future__ import annotations

import pytest

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import stage_needs
from tuneforge.core.errors import UserError
from tuneforge.data.load import load_data


def _conv(*turns, **extra):
    return {"conversations": [{"from": role, "value": value} for role, value in turns], **extra}


GOOD = _conv(("human", "q"), ("gpt", "a"))
SHAREGPT = {"formatting": "sharegpt"}


def _error(d, name, stage="sft") -> str:
    with pytest.raises(UserError) as err:
        load_data(DataConfig(dataset=name, dataset_dir=str(d)), stage=stage_needs(stage), seed=0)
    return str(err.value)


def _one(make_data, rows, stage="sft", **entry) -> tuple[str, str]:
    """A dataset 'x' in x.json (or rows as raw text) → (error message, data file path)."""
    d = make_data({"x": {"file_name": "x.json", **entry}}, {"x.json": rows})
    return _error(d, "x", stage), str(d / "x.json")


def test_malformed_json_names_the_line(make_data):
    text = '[\n  {"instruction": "a", "output": "b"},\n  {"instruction": "a" "output": "b"}\n]'
    message, path = _one(make_data, text)
    assert message == f"{path}:3 — malformed JSON: Expecting ',' delimiter (column 23)"


def test_malformed_jsonl_names_the_line(make_data):
    d = make_data({"x": {"file_name": "x.jsonl"}}, {"x.jsonl": '{"instruction": "a", "output": "b"}\n\n{"x": }\n'})
    assert _error(d, "x") == f"{d / 'x.jsonl'}:3 — malformed JSON line: Expecting value (column 7)"


@pytest.mark.parametrize("content,message", [
    ("", "file is empty"),
    ("[]", "no rows (the JSON list is empty)"),
    ('{"instruction": "a"}', "expected a JSON list of rows, got a JSON dict"),
])
def test_empty_or_wrong_shape_file(make_data, content, message):
    got, path = _one(make_data, content)
    assert got == f"{path} — {message}"


def test_row_that_is_not_an_object(make_data):
    message, path = _one(make_data, [{"instruction": "a", "output": "b"}, ["a", "b"]])
    assert message == f"{path}:2 — expected a JSON object for each row, got list"


def test_missing_file(make_data):
    d = make_data({"x": {"file_name": "nothere.json"}})
    assert _error(d, "x") == f"{d / 'nothere.json'} — file not found"


def test_missing_column_is_caught_on_the_first_row(make_data):
    message, path = _one(make_data, [{"instruction": "a", "answer": "b"}],
                         columns={"prompt": "instruction", "response": "output"})
    assert message == (f"{path}:1: output — column not found in the data (named by columns.response in "
                       f"dataset_info.json); the rows have: answer, instruction")


def test_missing_value_in_a_later_row(make_data):
    rows = [{"instruction": "a", "input": "", "output": "b"}] * 16 + [{"instruction": "a", "input": ""}]
    message, path = _one(make_data, rows)
    assert message == f"{path}:17: output — missing"


def test_empty_output(make_data):
    message, path = _one(make_data, [{"instruction": "a", "input": "", "output": " "}])
    assert message == f"{path}:1: output — empty"


def test_empty_instruction_and_input(make_data):
    message, path = _one(make_data, [{"instruction": "", "input": "", "output": "b"}])
    assert message == f"{path}:1: instruction — empty (instruction and input are both empty)"


def test_roles_out_of_order(make_data):
    rows = [GOOD, GOOD, _conv(("human", "q"), ("gpt", "a"), ("human", "q2"), ("human", "q3"), ("gpt", "a"))]
    message, path = _one(make_data, rows, **SHAREGPT)
    assert message == (f"{path}:3: conversations[3].from — expected 'gpt' or 'function_call' after 'human', "
                       "got 'human'")


def test_conversation_must_start_with_user(make_data):
    message, path = _one(make_data, [_conv(("system", "s"), ("gpt", "a"))], **SHAREGPT)
    assert message == f"{path}:1: conversations[1].from — expected 'human' first, got 'gpt'"


def test_observation_must_follow_a_function_call(make_data):
    message, path = _one(make_data, [_conv(("human", "q"), ("gpt", "a"), ("observation", "{}"), ("gpt", "b"))],
                         **SHAREGPT)
    assert message == f"{path}:1: conversations[2].from — expected 'human' after 'gpt', got 'observation'"


def test_conversation_must_end_with_assistant(make_data):
    message, path = _one(make_data, [_conv(("human", "q"), ("gpt", "a"), ("human", "q2"))], **SHAREGPT)
    assert message == f"{path}:1: conversations — must end with a 'gpt' message, it ends with 'human'"


def test_system_only_first(make_data):
    message, path = _one(make_data, [_conv(("human", "q"), ("system", "s"), ("gpt", "a"))], **SHAREGPT)
    assert message == f"{path}:1: conversations[1].from — a system message is only allowed as the first message"


def test_unknown_role_tag(make_data):
    message, path = _one(make_data, [_conv(("human", "q"), ("bot", "a"))], **SHAREGPT)
    assert message == (f"{path}:1: conversations[1].from — unknown role tag 'bot'; expected one of: 'human', "
                       f"'gpt', 'observation', 'function_call', 'system'")


def test_empty_assistant_content(make_data):
    message, path = _one(make_data, [_conv(("human", "q"), ("gpt", ""))], **SHAREGPT)
    assert message == f"{path}:1: conversations[1].value — empty content"


def test_function_call_that_is_not_json(make_data):
    rows = [_conv(("human", "q"), ("function_call", "search(q)"), ("observation", "r"), ("gpt", "a"))]
    message, path = _one(make_data, rows, **SHAREGPT)
    assert message.startswith(f"{path}:1: conversations[1].value — a function call must be JSON")


def test_tools_that_are_not_json(make_data):
    message, path = _one(make_data, [dict(GOOD, tools="[{oops")], **SHAREGPT,
                         columns={"messages": "conversations", "tools": "tools"})
    assert message.startswith(f"{path}:1: tools — not valid JSON")


@pytest.mark.parametrize("label", ["yes", 1, None])
def test_kto_tag_must_be_boolean(make_data, label):
    rows = [dict(GOOD, label=True), dict(GOOD, label=label)]
    message, path = _one(make_data, rows, "kto", **SHAREGPT, columns={"messages": "conversations", "kto_tag": "label"})
    expected = "missing" if label is None else f"expected true or false, got {label!r}"
    assert message == f"{path}:2: label — {expected}"


RANKING = dict(SHAREGPT, ranking=True,
               columns={"messages": "conversations", "chosen": "chosen", "rejected": "rejected"})


@pytest.mark.parametrize("rejected,field,expected", [
    (None, "rejected", "missing"),
    ({"from": "gpt", "value": ""}, "rejected.value", "empty content"),
    ({"from": "human", "value": "n"}, "rejected.from", "expected 'gpt', got 'human'"),
])
def test_ranking_row_needs_chosen_and_rejected(make_data, rejected, field, expected):
    row = _conv(("human", "q"), chosen={"from": "gpt", "value": "y"})
    if rejected is not None:
        row["rejected"] = rejected
    good = dict(row, rejected={"from": "gpt", "value": "n"})
    message, path = _one(make_data, [good, row], "dpo", **RANKING)
    assert message == f"{path}:2: {field} — {expected}"


def test_alpaca_ranking_row_with_empty_rejected(make_data):
    message, path = _one(make_data, [{"instruction": "q", "chosen": "y", "rejected": ""}], "rm", ranking=True,
                         columns={"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"})
    assert message == f"{path}:1: rejected — empty"


def test_ranking_prompt_must_end_with_user(make_data):
    row = _conv(("human", "q"), ("gpt", "a"), chosen={"from": "gpt", "value": "y"},
                rejected={"from": "gpt", "value": "n"})
    message, path = _one(make_data, [row], "dpo", **RANKING)
    assert message.startswith(f"{path}:1: conversations — the prompt of a ranking row must end with a 'human' "
                              "message")


@pytest.mark.parametrize("stage,entry,expected", [
    ("sft", RANKING, "dataset 'x' is a ranking dataset (chosen/rejected); stage sft cannot use it, only stages rm/dpo"),
    ("dpo", {}, "stage dpo needs a ranking dataset (\"ranking\": true with chosen/rejected columns); dataset 'x' is "
                "not one"),
    ("sft", {"formatting": "text"}, "dataset 'x' is plain text; stage sft needs conversations, only pt can use it"),
])
def test_dataset_of_the_wrong_kind_for_the_stage(make_data, stage, entry, expected):
    message, _ = _one(make_data, [GOOD], stage, **entry)
    assert message.endswith(f"dataset_info.json: x — {expected}")


def test_kto_stage_needs_kto_tag(make_data):
    message, _ = _one(make_data, [GOOD], "kto", **SHAREGPT)
    assert message.endswith("dataset_info.json: x.columns.kto_tag — stage kto needs a kto_tag column (true/false "
                            "per row); dataset 'x' names none")


def test_unknown_stage(make_data):
    message, _ = _one(make_data, [GOOD], "sftt")
    assert message.startswith("stage — unknown stage 'sftt' (did you mean 'sft'?)")


def test_unknown_dataset_name_suggests_the_closest(lf_dir):
    message = _error(lf_dir, "alpaca_en_dem")
    assert message == (f"{lf_dir / 'dataset_info.json'}: dataset — unknown dataset 'alpaca_en_dem' (did you mean "
                       f"'alpaca_en_demo'?); it is neither an entry of dataset_info.json nor an existing file")


def test_missing_dataset_info(tmp_path):
    message = _error(tmp_path, "alpaca_en_demo")
    assert message == (f"{tmp_path / 'dataset_info.json'}: dataset — dataset 'alpaca_en_demo' is not a file or "
                       f"folder, and there is no dataset_info.json in '{tmp_path}' to look it up (set dataset_dir)")


def test_malformed_dataset_info(make_data):
    d = make_data(None, {"dataset_info.json": '{"x": {"file_name": "x.json",}}'})
    assert _error(d, "x") == (f"{d / 'dataset_info.json'}:1 — malformed JSON: Expecting property name enclosed "
                              "in double quotes (column 30)")


@pytest.mark.parametrize("entry,expected", [
    ({"file_name": "x.json", "colums": {}}, "x.colums — unknown key 'colums' (did you mean 'columns'?)"),
    ({"file_name": "x.json", "columns": {"promt": "q"}},
     "x.columns.promt — unknown key 'promt' (did you mean 'prompt'?)"),
    ({"file_name": "x.json", "formatting": "sharegtp"}, "x.formatting — unknown formatting 'sharegtp' (did you mean "
                                                         "'sharegpt'?)"),
    ({"file_name": "x.json", "ranking": "yes"}, "x.ranking — expected true or false, got 'yes'"),
    ({"formatting": "alpaca"}, "x — needs one of file_name, hf_hub_url, ms_hub_url, om_hub_url, script_url"),
])
def test_bad_dataset_info_entry_names_the_entry(make_data, entry, expected):
    d = make_data({"x": entry}, {"x.json": [GOOD]})
    assert _error(d, "x").startswith(f"{d / 'dataset_info.json'}: {expected}")


def test_unsupported_file_type(make_data):
    d = make_data({"x": {"file_name": "x.xlsx"}}, {"x.xlsx": "binary"})
    assert _error(d, "x") == (f"{d / 'x.xlsx'} — unsupported file type '.xlsx'; use one of: .json, .jsonl, .csv, "
                              ".parquet, .txt")


def test_path_with_unknown_shape(make_data):
    d = make_data(None, {"odd.json": [{"question": "q", "answer": "a"}]})
    assert _error(d, str(d / "odd.json")).startswith(f"{d / 'odd.json'}:1 — cannot tell the format from the keys "
                                                     "(question, answer)")


def test_media_columns_are_refused_by_stages_that_train_on_text(make_data):
    message, _ = _one(make_data, [GOOD], stage="pt", **SHAREGPT,
                      columns={"messages": "conversations", "images": "images"})
    assert message.endswith("x.columns.images — dataset 'x' has images; stage pt trains on text only "
                            "(multimodal rows train with stage sft)")


def test_a_missing_image_and_a_placeholder_count_mismatch_name_the_row(make_data):
    row = {**_conv(("human", "<image>q"), ("gpt", "a")), "images": ["nowhere.png"]}
    message, path = _one(make_data, [row], **SHAREGPT, columns={"messages": "conversations", "images": "images"})
    assert message.startswith(f"{path}:1: images[0] — no such image file: ") and message.endswith("nowhere.png")
    row = {**_conv(("human", "<image><image>q"), ("gpt", "a")), "images": []}
    message, path = _one(make_data, [row], **SHAREGPT, columns={"messages": "conversations", "images": "images"})
    assert message == f"{path}:1: images — 2 <image> placeholders, 0 images"


def test_error_is_raised_before_any_file_is_read_when_a_later_dataset_has_the_wrong_kind(make_data):
    d = make_data({"a": {"file_name": "missing.json"}, "p": {"file_name": "p.json", **RANKING}})
    with pytest.raises(UserError, match="dataset 'p' is a ranking dataset"):
        load_data(DataConfig(dataset="a,p", dataset_dir=str(d)), stage=stage_needs("sft"), seed=0)

