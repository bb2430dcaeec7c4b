"""Encoding building blocks: assistant runs, turn-aware truncation, packing and collation."""
from __future__ import annotations

from tuneforge.encode.collate import Collator
from tuneforge.encode.options import IGNORE_INDEX
from tuneforge.encode.packing import pack
from tuneforge.encode.pretrain import iter_blocks
from tuneforge.encode.supervised import assistant_runs, truncate


def test_assistant_runs_are_contiguous_spans():
    assert assistant_runs([0, 1, 1, 0, 0, 1, 0, 1]) == [(1, 3), (5, 6), (7, 8)]
    assert assistant_runs([0, 0]) == []


def test_truncation_drops_whole_later_turns_first():
    ids = list(range(20))
    mask = [0] * 4 + [1] * 4 + [0] * 4 + [1] * 8        # turn 1 ends at 8, turn 2 at 20
    out_ids, out_mask, cut = truncate(ids, mask, cutoff=12)
    assert cut and out_ids == list(range(8)) and out_mask == [0] * 4 + [1] * 4


def test_truncation_of_a_single_long_turn_keeps_an_answer():
    ids = list(range(100))
    mask = [0] * 90 + [1] * 10                           # long prompt, short answer
    out_ids, out_mask, cut = truncate(ids, mask, cutoff=30)
    assert cut and len(out_ids) == 30
    assert out_ids[-10:] == list(range(90, 100)) and out_mask[-10:] == [1] * 10
    assert out_ids[0] == 0 and out_ids[19] == 89          # head (BOS/system) and tail (question end) kept
    long_answer = [0] * 10 + [1] * 90
    out_ids, out_mask, _ = truncate(list(range(100)), long_answer, cutoff=30)
    assert len(out_ids) == 30 and sum(out_mask) == 20 and out_ids[:10] == list(range(10))


def test_no_truncation_when_it_fits():
    assert truncate([1, 2, 3], [0, 1, 1], cutoff=3) == ([1, 2, 3], [0, 1, 1], False)


def test_packing_fills_bins_and_resets_positions_when_neat():
    feats = [{"input_ids": [i] * n, "labels": [i] * n} for i, n in enumerate([5, 3, 4, 2, 6], start=1)]
    packed = pack(feats, cutoff_len=8, neat=True)
    assert all(len(p["input_ids"]) <= 8 for p in packed)
    assert sorted(t for p in packed for t in p["input_ids"]) == sorted(t for f in feats for t in f["input_ids"])
    for row in packed:
        starts = [i for i, pos in enumerate(row["position_ids"]) if pos == 0]
        assert all(row["labels"][s] == IGNORE_INDEX for s in starts)   # no cross-example prediction
    assert "position_ids" not in pack(feats, cutoff_len=8, neat=False)[0]


def test_grouping_cuts_full_blocks():
    blocks = list(iter_blocks([list(range(7))] * 3, cutoff_len=5))
    assert [len(b) for b in blocks] == [5, 5, 5, 5]  # the 1-token tail is dropped
    assert blocks[1] == [5, 6, 0, 1, 2]  # rows run on across block boundaries
    assert list(iter_blocks([[1, 2, 3]], cutoff_len=5)) == [[1, 2, 3]]  # the only block is kept even if short


def test_collator_pads_right_and_flattens_packed_rows():
    batch = Collator(pad_token_id=0)([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]},
                                      {"input_ids": [8], "labels": [8]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [8, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    flat = Collator(pad_token_id=0)([{"input_ids": [1, 2], "labels": [-100, 2], "position_ids": [0, 1]},
                                     {"input_ids": [3], "labels": [-100], "position_ids": [0]}])
    assert flat["input_ids"].tolist() == [[1, 2, 3]] and flat["position_ids"].tolist() == [[0, 1, 0]]
    assert "attention_mask" not in flat
