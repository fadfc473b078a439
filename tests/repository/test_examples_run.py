"""Every example in examples/ runs with --fast, prints numbers that agree, and writes its pictures."""

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name, tmp_path, *options):
    """Run examples/NAME.py --fast --out TMP/pictures from TMP; (stdout lines, picture folder)."""
    out = tmp_path / "pictures"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--fast", "--out", str(out), *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    return result.stdout.splitlines(), out


def assert_pictures(out, *names):
    """The folder holds exactly these pictures, each a valid SVG or PNG file."""
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        if name.endswith(".svg"):
            ET.parse(out / name)
        else:
            assert (out / name).read_bytes().startswith(b"\x89PNG")


def table_rows(lines, header_start):
    """The cells of the Markdown table whose header starts with header_start."""
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_neuron_by_hand_equals_the_engine(tmp_path):
    lines, out = run_example("neuron", tmp_path)
    differences = [float(line.split(":")[1]) for line in lines if line.startswith("largest difference:")]
    assert len(differences) == 3 and max(differences) < 1e-12
    z = 1.5 * 0.8 + 0.5 * -0.4 - 0.3
    [out_row] = [line for line in lines if line.startswith("out = tanh(z)")]
    assert [float(x) for x in out_row.split()[-2:]] == pytest.approx([math.tanh(z)] * 2, rel=1e-15)
    assert lines[-1] == f"wrote {out / 'neuron.svg'}"
    assert_pictures(out, "neuron.svg")


def test_chain_rule_three_ways_agree(tmp_path):
    lines, out = run_example("chain_rule", tmp_path)
    table = [line.split() for line in lines[3:8]]
    for at, value, engine, by_hand, by_differences in table:
        x = float(at)
        assert float(value) == pytest.approx(math.log(1 + math.sin(x)), rel=1e-15, abs=1e-15)
        assert float(engine) == pytest.approx(math.cos(x) / (1 + math.sin(x)), rel=1e-14)
        assert float(by_hand) == pytest.approx(float(engine), rel=1e-14)
        assert float(by_differences) == pytest.approx(float(engine), rel=1e-7)
    assert "gradcheck (micrograd44's checker) at x = 0.5: True" in lines
    product = next(line for line in lines if line.startswith("the local derivatives along the path"))
    assert float(product.split("=")[-1]) == pytest.approx(math.cos(0.5) / (1 + math.sin(0.5)), rel=1e-15)
    assert_pictures(out, "chain_rule.svg")


def test_learning_rate_table_and_divergence(tmp_path):
    lines, out = run_example("learning_rate", tmp_path)
    rows = table_rows(lines, "| loss | lr |")
    assert [(r[0], float(r[1])) for r in rows] == [
        ("L1", 1e-5),
        ("L1", 0.001),
        ("L1", 0.02),
        ("L1", 0.1),
        ("L1", 0.5),
        ("L1", 2.0),
        ("MSE", 0.02),
        ("MSE", 0.5),
    ]
    moved = {(r[0], float(r[1])): float(r[5]) for r in rows}
    assert moved[("L1", 1e-5)] == min(moved.values())  # the smallest rate barely moves the weights
    assert all(r[2] == "100 epochs" for r in rows[:-1])
    assert rows[-1][2].startswith("diverged at epoch ") and rows[-1][7] == "no"
    assert all(re.fullmatch(r"[0-2]/2", r[8]) for r in rows)
    [error] = [line for line in lines if "TrainingDiverged" in line]
    assert error.startswith("MSE at lr 0.5: TrainingDiverged: training diverged at epoch ")
    assert_pictures(out, "learning_rate.png")


def test_weight_init_success_table_and_zero_symmetry(tmp_path):
    lines, out = run_example("weight_init", tmp_path)
    rows = table_rows(lines, "| weights |")
    assert [r[0] for r in rows] == ["zeros", "normal", "uniform", "xavier", "he"]
    assert all(re.fullmatch(r"[0-3]/3", r[1]) for r in rows)
    part2 = lines[lines.index("tanh between the layers:") :]
    hidden = [line for line in part2 if "neurons, largest difference" in line]
    spreads = [float(re.search(r"between two neurons (\S+),", line).group(1)) for line in hidden]
    changes = [float(line.rsplit(" ", 1)[1]) for line in hidden]
    # tanh zeros, sigmoid zeros, normal: two hidden layers each
    assert spreads[:4] == [0.0] * 4 and min(spreads[4:]) > 0.1
    assert changes[:2] == [0.0, 0.0] and min(changes[2:4]) > 0.0
    assert_pictures(out, "weight_init.png")


def test_loss_gradients_and_comparison(tmp_path):
    lines, out = run_example("loss", tmp_path)
    for error, l1, l1_slope, mse, mse_slope in table_rows(lines, "| error p - t |"):
        e = float(error)
        assert float(l1) == abs(e) and float(l1_slope) == (e > 0) - (e < 0)
        assert float(mse) == pytest.approx(e * e) and float(mse_slope) == pytest.approx(2 * e)
    for score, probability, entropy, slope in table_rows(lines, "| score s |"):
        assert float(probability) == pytest.approx(1 / (1 + math.exp(-float(score))), abs=1e-4)
        assert float(slope) == pytest.approx(float(probability) - 1, abs=1e-4)
        assert float(entropy) == pytest.approx(-math.log(float(probability)), abs=1e-3)
    compared = table_rows(lines, "| loss | outputs")
    assert [r[0] for r in compared] == ["L1 (the course)", "MSE"]
    for _, outputs, solved, distance in compared:
        predictions = [float(p) for p in outputs.split(",")]
        mean = sum(abs(p - t) for p, t in zip(predictions, [0, 1, 1, 0])) / 4
        assert float(distance) == pytest.approx(mean, abs=5e-3)
        assert (solved == "yes") == ([int(p >= 0.5) for p in predictions] == [0, 1, 1, 0])
    seeds = table_rows(lines, "| loss | XOR solved |")
    assert [r[0] for r in seeds] == ["L1 (the course)", "MSE"]
    assert_pictures(out, "loss.png")


def test_xor_44_log_truth_table_and_pictures(tmp_path):
    lines, out = run_example("xor_44", tmp_path)
    assert "Total parameters: 44" in lines
    assert [line.split(",")[0] for line in lines if line.startswith("Epoch: ")] == [
        "Epoch: 0",
        "Epoch: 50",
        "Epoch: 100",
    ]
    start = lines.index("input     target   output   rounded at 0.5")
    rounded = [int(line.split()[-1]) for line in lines[start + 1 : start + 5]]
    outputs = [float(line.split()[-2]) for line in lines[start + 1 : start + 5]]
    assert rounded == [int(p >= 0.5) for p in outputs]
    assert lines[start + 5].startswith(f"XOR solved: {rounded == [0, 1, 1, 0]};")
    assert_pictures(out, "xor_44_loss.png", "xor_44_network.svg", "xor_44_parameters.svg")


def test_moons_batched_surface_matches_the_engine(tmp_path):
    lines, out = run_example("moons", tmp_path)
    assert lines[0].startswith("40 points, MLP(2 -> 16 -> 16 -> 1, act=relu, 337 parameters), 15 SGD steps")
    accuracy = next(line for line in lines if line.startswith("after training:"))
    assert re.fullmatch(r"after training: loss \d\.\d{4}, training accuracy \d+%", accuracy)
    difference = next(line for line in lines if line.startswith("largest |batched - eager|"))
    assert float(difference.split(": ")[1]) < 1e-9
    assert_pictures(out, "moons.png")


# the examples that train a recipe over many seeds with micrograd44.sweep, and the picture each draws
SWEEPS = {"learning_rate": "learning_rate.png", "loss": "loss.png", "weight_init": "weight_init.png"}


@pytest.mark.parametrize("name", SWEEPS)
def test_a_sweep_prints_the_same_numbers_with_the_eager_engine_in_2_processes(name, tmp_path):
    (tmp_path / "eager").mkdir()
    compiled, compiled_out = run_example(name, tmp_path)
    eager, eager_out = run_example(name, tmp_path / "eager", "--engine", "eager", "--jobs", "2")
    assert re.fullmatch(r"\d+ s with 1 process\(es\), compiled engine", compiled[-1])
    assert re.fullmatch(r"\d+ s with 2 process\(es\), eager engine", eager[-1])
    assert [line.replace(str(eager_out), str(compiled_out)) for line in eager[:-1]] == compiled[:-1]
    picture = SWEEPS[name]
    assert (eager_out / picture).read_bytes() == (compiled_out / picture).read_bytes()


@pytest.mark.parametrize("name", ["learning_rate", "weight_init", "loss"])
def test_bad_seed_count_is_one_line_and_status_2(name):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--seeds", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("--seeds and --jobs must be at least 1")


def test_forward_and_reverse_mode_give_the_same_44_gradients(tmp_path):
    lines, _ = run_example("forward_vs_reverse", tmp_path)
    [difference] = [line for line in lines if line.startswith("largest difference")]
    assert float(difference.split(":")[1]) < 1e-12
    rows = table_rows(lines, "| mode")
    assert [(row[0], int(row[1])) for row in rows] == [
        ("reverse (backward)", 1),
        ("forward (push_tangents)", 44),
    ]
    assert int(rows[1][2]) == 44 * int(rows[0][2])  # every local derivative, once per parameter


def test_newton_beats_gradient_descent_and_the_hessian_spectra_are_written(tmp_path):
    lines, out = run_example("second_order", tmp_path)
    newton, descent = (int(line.split(":")[1].split()[0]) for line in lines if "steps" in line)
    assert newton < 10 < descent
    rows = table_rows(lines, "| weights")
    assert [row[0] for row in rows] == ["initial weights", "after 2001 epochs"]
    assert all(sum(int(cell) for cell in row[3:6]) == 44 for row in rows)  # every eigenvalue counted once
    assert_pictures(out, "second_order.png")
