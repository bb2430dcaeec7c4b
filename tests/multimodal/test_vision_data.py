"""Vision-language data: rendering parity with each family's own processor (ids equal
`processor.apply_chat_template(..., tokenize=True)` with the same images; labels exactly the assistant text and
stop token, never a media token), bad media rows refused by file:row:field before any model loads, and
LLaMA-Factory's mllm_demo (and mllm_video_demo) with its qwen3vl_lora_sft.yaml — unchanged but for the model path, a
tiny Qwen3-VL — training an adapter that loads in plain peft."""
from __future__ import annotations

import json
import random

import pytest
import yaml

from tests.conftest import LF_FIXTURES, needs_lf_fixtures
from tests.multimodal.conftest import colour_image

FAMILIES = {"qwen2_vl": "qwen2_vl", "qwen2_5_vl": "qwen2_vl", "qwen3_vl": "qwen3_vl_nothink", "llava": "llava",
            "gemma3": "gemma3"}
# The tiny Qwen3-VL's processor carries tuneforge's qwen3_vl_nothink template, which renders string contents
# only (the official one also takes content parts): its reference is the processor's expansion of the
# conversation with the media tokens written in, and it has no "template omitted" case.
STRING_ONLY = {"qwen3_vl": "<|vision_start|><|image_pad|><|vision_end|>"}
CASES = [(arch, own) for arch in FAMILIES for own in (False, True) if not (own and arch in STRING_ONLY)]


def _images(n: int):
    import numpy as np

    rng, np_rng = random.Random(1), np.random.default_rng(1)
    return [colour_image(c, rng, np_rng) for c in ("red", "blue", "green")[:n]]


@pytest.mark.parametrize("arch,own_template", CASES,
                         ids=[f"{a}-{'template omitted' if o else 'tuneforge template'}" for a, o in CASES])
def test_ids_equal_the_processors_own_and_labels_cover_only_the_replies(arch, own_template, tiny_vlm, tmp_path):
    """With `template:` the family's tuneforge template; omitted, the processor's own chat template (content
    parts, assistant spans found by offsets) — both give the processor's ids."""
    from transformers import AutoProcessor

    from tuneforge.config.stages import ExampleKind
    from tuneforge.data.example import Conversation, Media
    from tuneforge.encode.batch import encode_examples
    from tuneforge.encode.media import MediaOptions, media_encoder
    from tuneforge.encode.options import IGNORE_INDEX, EncodeOptions
    from tuneforge.model.vision import media_tokens
    from tuneforge.templates.registry import get_template
    from tuneforge.templates.render import render

    model = tiny_vlm(arch)
    processor = AutoProcessor.from_pretrained(model)
    images = _images(2)
    paths = []
    for i, image in enumerate(images):
        paths.append(str(tmp_path / f"{i}.png"))
        image.save(paths[-1])
    replies = ["It is red.", "Blue, this one."]
    ours = [{"role": "user", "content": "<image>What colour is this?"}, {"role": "assistant", "content": replies[0]},
            {"role": "user", "content": "And this one?<image>"}, {"role": "assistant", "content": replies[1]}]
    parts = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour is this?"}]},
             {"role": "assistant", "content": [{"type": "text", "text": replies[0]}]},
             {"role": "user", "content": [{"type": "text", "text": "And this one?"}, {"type": "image"}]},
             {"role": "assistant", "content": [{"type": "text", "text": replies[1]}]}]
    # the images as the encoder loads them (within the default pixel budget: unchanged)
    if arch in STRING_ONLY:
        parts = [{**m, "content": m["content"].replace("<image>", STRING_ONLY[arch])} for m in ours]
    expected = processor.apply_chat_template(parts, tokenize=True, return_dict=True,
                                             processor_kwargs={"images": images})["input_ids"]
    expected = list(expected[0] if isinstance(expected[0], list) else expected)
    options = EncodeOptions(kind=ExampleKind.CONVERSATION, cutoff_len=4096)
    encoder = media_encoder(processor, media_tokens(str(model)), MediaOptions())
    example = Conversation(messages=tuple(ours), media=Media(images=tuple(paths)))
    template = None if own_template else get_template(FAMILIES[arch])
    if own_template:  # what run_processor does when no template is given
        processor.tokenizer.chat_template = processor.chat_template
    [encoded] = encode_examples([example], processor.tokenizer, template, options, encoder)
    assert encoded.input_ids == expected
    trained = [t for t in encoded.labels if t != IGNORE_INDEX]
    # exactly what the template trains of the same conversation without its images: each reply + stop token
    text_only = [{**m, "content": m["content"].replace("<image>", "")} for m in ours]
    stop = get_template(FAMILIES[arch]).end_of_turn(processor.tokenizer.eos_token)
    if own_template:  # the spans found by offsets: each reply and the special token closing it
        assert processor.tokenizer.decode(trained).replace(" ", "") == "".join(r + stop for r in replies).replace(" ", "")
    else:
        rendered = render(processor.tokenizer, text_only, template=template)
        assert trained == [t for t, bit in zip(rendered.input_ids, rendered.assistant_mask) if bit]
        assert processor.tokenizer.decode(trained).count(stop) == 2
    media_ids = set(encoder.processor.tokenizer.convert_tokens_to_ids(
        [t for t in (getattr(processor, "image_token", None), getattr(processor, "video_token", None)) if t]))
    assert media_ids and not media_ids & set(trained)
    assert encoded.media.images == tuple(paths)


def _write(folder, rows, name="data.json", columns=None):
    (folder / name).write_text(json.dumps(rows))
    info = {"d": {"file_name": name, "formatting": "sharegpt",
                  "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                           "assistant_tag": "assistant"},
                  "columns": columns or {"messages": "messages", "images": "images", "videos": "videos"}}}
    (folder / "dataset_info.json").write_text(json.dumps(info))


def _row(content: str, images=(), videos=()):
    return {"messages": [{"role": "user", "content": content}, {"role": "assistant", "content": "red"}],
            "images": list(images), "videos": list(videos)}


@pytest.mark.parametrize("case", ["count", "missing", "modality", "text_model"])
def test_bad_media_rows_name_file_row_and_field_before_the_model_loads(case, tiny_vlm, tiny_qwen, tmp_path,
                                                                        capsys):
    from tuneforge.cli.main import main

    _images(1)[0].save(tmp_path / "a.png")
    model = tiny_vlm("llava")
    rows = [_row("<image>fine", ["a.png"])] * 2
    if case == "count":
        rows.append(_row("<image><image>two", ["a.png"]))
        want = "data.json:3: images — 2 <image> placeholders, 1 image"
    elif case == "missing":
        rows.append(_row("<image>where", ["nowhere.png"]))
        want = "data.json:3: images[0] — no such image file"
    elif case == "modality":
        (tmp_path / "v.mp4").write_bytes(b"not read: refused before")
        rows.append(_row("<video>moving", videos=["v.mp4"]))
        want = "data.json:3: videos — the row has videos but this model takes only images"
    else:
        model = tiny_qwen
        want = "data.json:1: images — the row has images but the model is a text-only model"
    _write(tmp_path, rows)
    out = tmp_path / "run"
    code = main(["train", f"model_name_or_path={model}", "dataset=d", f"dataset_dir={tmp_path}",
                 f"output_dir={out}", "max_steps=1", "report_to=none"])
    err = capsys.readouterr().err
    assert code == 2
    assert want in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()  # nothing written: refused before the model loaded


@pytest.mark.slow
@pytest.mark.parametrize("dataset", [None, "mllm_video_demo"], ids=["yaml datasets", "video demo"])
def test_llamafactory_mllm_demo_with_its_qwen3vl_yaml_trains_an_adapter_peft_loads(dataset, tiny_vlm, tmp_path):
    needs_lf_fixtures()
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText

    from tuneforge.cli.main import main

    config = yaml.safe_load((LF_FIXTURES / "examples/train_lora/qwen3vl_lora_sft.yaml").read_text())
    model = tiny_vlm("qwen3_vl")  # the YAML's own family and template (qwen3_vl_nothink), at toy size
    config |= {"model_name_or_path": str(model), "output_dir": str(tmp_path / "run")}
    if dataset:  # the YAML's own comment: "# video: mllm_video_demo"
        config["dataset"] = dataset
    path = tmp_path / "qwen3vl_lora_sft.yaml"
    path.write_text(yaml.safe_dump(config))
    # the YAML's 16 encoding workers and 4 data-loader workers as they are; a few steps, in float32 on CPU
    assert main(["train", str(path), f"dataset_dir={LF_FIXTURES}", "max_steps=3", "bf16=false",
                 "disable_tqdm=true"]) == 0
    run = tmp_path / "run"
    adapter = json.loads((run / "adapter_config.json").read_text())
    targets = adapter["target_modules"]
    assert targets and all("language_model" in t for t in targets)  # the vision encoder keeps its weights
    base = AutoModelForImageTextToText.from_pretrained(model)
    loaded = PeftModel.from_pretrained(base, run)
    assert any("lora_A" in n for n, _ in loaded.named_parameters())
    log = [json.loads(line) for line in (run / "trainer_log.jsonl").read_text().splitlines()]
    assert any("loss" in entry for entry in log)


def test_video_ids_equal_the_processors_own_and_the_batch_feeds_the_model(tiny_vlm):
    """LLaMA-Factory's mllm_demo video through a tiny Qwen2-VL: frames sampled at video_fps with PyAV, the
    same ids as the processor's own template expanded by its video processor, and a collated batch the model
    takes (its video tokens match the frames' features)."""
    needs_lf_fixtures()
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from tuneforge.config.stages import ExampleKind
    from tuneforge.data.example import Conversation, Media
    from tuneforge.encode.batch import encode_examples
    from tuneforge.encode.collate import Collator, MediaCollator
    from tuneforge.encode.media import MediaOptions, load_video, media_encoder
    from tuneforge.encode.options import EncodeOptions
    from tuneforge.model.vision import media_tokens
    from tuneforge.templates.registry import get_template

    model = tiny_vlm("qwen2_vl")
    processor = AutoProcessor.from_pretrained(model)
    video = str(LF_FIXTURES / "mllm_demo_data" / "1.mp4")
    options = MediaOptions(video_max_pixels=16384)
    frames = load_video(video, options)
    assert len(frames) % 2 == 0 and len(frames) <= options.video_maxlen
    parts = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "Why?"}]},
             {"role": "assistant", "content": [{"type": "text", "text": "Because."}]}]
    text = processor.apply_chat_template(parts, tokenize=False)
    expected = processor(text=[text], videos=[frames], do_sample_frames=False, add_special_tokens=False)["input_ids"][0]
    encoder = media_encoder(processor, media_tokens(str(model)), options)
    example = Conversation(messages=({"role": "user", "content": "<video>Why?"},
                                     {"role": "assistant", "content": "Because."}), media=Media(videos=(video,)))
    [encoded] = encode_examples([example], processor.tokenizer, get_template("qwen2_vl"),
                                EncodeOptions(kind=ExampleKind.CONVERSATION, cutoff_len=4096), encoder)
    assert encoded.input_ids == list(expected)
    assert processor.tokenizer.decode([t for t in encoded.labels if t != -100]) == "Because.<|im_end|>\n"
    feature = {"input_ids": encoded.input_ids, "labels": encoded.labels, "images": [], "videos": [video]}
    batch = MediaCollator(Collator(processor.tokenizer.pad_token_id), encoder)([feature])
    assert "pixel_values_videos" in batch and "mm_token_type_ids" in batch
    with torch.inference_mode():
        loss = AutoModelForImageTextToText.from_pretrained(model)(**batch).loss
    assert torch.isfinite(loss)
