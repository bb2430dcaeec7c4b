"""bench/train_speed.py runs on its CI setting and prints its figures (no timing is asserted: the figures
depend on the machine and its load)."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO, needs_lf_fixtures


def test_train_speed_bench_prints_side_by_side_figures(tmp_path):
    needs_lf_fixtures()
    done = subprocess.run([sys.executable, str(REPO / "bench" / "train_speed.py"), "--small", "--methods", "lora",
                           "--no-memory", "--work", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stdout)
    rows = {m.group(1).strip(): m for m in re.finditer(
        r"^(tuneforge(?: fast_path=false)?)\s+(\d+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s+(\d+)$", done.stdout, re.M)}
    assert set(rows) == {"tuneforge", "tuneforge fast_path=false"}
    # Both runs trained the same tokens to the same loss; only the step differs.
    assert rows["tuneforge"].group(6) == rows["tuneforge fast_path=false"].group(6)
    assert abs(float(rows["tuneforge"].group(5)) - float(rows["tuneforge fast_path=false"].group(5))) < 1e-3
    assert "tuneforge vs tuneforge fast_path=false: tokens/s" in done.stdout
