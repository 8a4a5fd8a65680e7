"""Forged training runs against the train check: which ones reach the bar, and which ones the descent check stops.

A forger brings LeNet-5 weights P trained beforehand on the true labels (from their own initial draw Q) and learns
the grader's relabelling of the classes (a majority vote of P's answers over 20 batches learns it exactly; here it
is applied as such). Then, from the initial weights W0 the grader hands to fit:

* loads P (whatever the route: source, file, model class, all give these weights), also with its hidden units
  reordered to correlate best with W0 (a reordering changes nothing the network computes);
* blends: W0 + a * P, and the same scaled down (0.2 * (W0 + a * P)): the correlation with W0 stays as high as a
  training run's for small a;
* adds P's training delta: W0 + (P - Q), after 0 or k honest Adam steps from W0;
* blends, then trains k Adam steps on the grader's batches (part forgery, part training);
* hides W0 where it does nothing: P trained with half the units of each hidden layer dead, W0 times 10 parked in
  the dead units' weights, so that the weights correlate with W0 far more than a training run's;
* sets a trap for the need test: P trained with two spare fc2 units, which get the same row of W0 (times 100) and
  which fc3 reads with opposite signs, so they cancel exactly until the initial weights' part is swapped (and a
  quarter of W0 added to conv1, conv2 and fc1 for the kinship);
* and, for scale, an honest fit of k Adam steps from W0 alone.

Each is judged by the grader's own measures (grader/suites/train/descent.py) on the full MNIST test set relabelled
with the run's draw. Results are appended to a JSON Lines file; `--table` prints the table of bench/RESULTS.md.

Run: nice -n 10 .venv/bin/python bench/train_forgeries.py [--seed N] [--out FILE]; then --table
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.data.mnist import load_mnist, normalize  # noqa: E402
from grader.suites.lenet.model import LeNet5Variant  # noqa: E402
from grader.suites.lenet.network import load_parameters  # noqa: E402
from grader.suites.train import PLANS, descent  # noqa: E402
from grader.suites.train.draws import draws, lenet_weights  # noqa: E402
from train_descent import verdict  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "out" / "train_forgeries.jsonl"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "mnist"
HIDDEN = {"conv1": 6, "conv2": 16, "fc1": 120, "fc2": 84}  # units of each hidden layer; the second half dies


def train(weights: list[np.ndarray], images: torch.Tensor, labels: torch.Tensor, steps: int, seed: int,
          masks: dict[str, torch.Tensor] | None = None) -> list[np.ndarray]:
    """``steps`` Adam steps (lr 1e-3, batch 64) from ``weights``; ``masks`` zero units' outputs while training."""
    model = LeNet5Variant()
    load_parameters(model, weights)
    hooks = [getattr(model, name).register_forward_hook(lambda m, a, out, mask=mask: out * mask)
             for name, mask in (masks or {}).items()]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=generator)
    for step in range(steps):
        start = (step * 64) % len(labels)
        if start + 64 > len(labels):
            order = torch.randperm(len(labels), generator=generator)
        batch = order[start:start + 64]
        optimizer.zero_grad()
        F.cross_entropy(model(images[batch]), labels[batch]).backward()
        optimizer.step()
    for hook in hooks:
        hook.remove()
    return [p.detach().numpy().copy() for p in model.parameters()]


def answering_in(relabel: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    """Weights trained on the true labels, with fc3's rows permuted to answer in the grader's labels."""
    order = np.argsort(relabel)
    return [*weights[:8], weights[8][order], weights[9][order]]


def half_dead_masks() -> dict[str, torch.Tensor]:
    masks = {}
    for name, units in HIDDEN.items():
        mask = torch.ones(units)
        mask[units // 2:] = 0
        masks[name] = mask[:, None, None] if name.startswith("conv") else mask
    return masks


def parked(live: list[np.ndarray], initial: list[np.ndarray], scale: float = 10.0) -> list[np.ndarray]:
    """``live`` (trained with the second half of each hidden layer dead) with ``scale`` times the initial weights in
    every weight the dead units own or read, and those units kept dead by a bias of -1000."""
    weights = [array.copy() for array in live]
    dead_in: np.ndarray | None = None
    for index, name in enumerate(descent.LAYERS):
        weight, bias = weights[2 * index], weights[2 * index + 1]
        start = initial[2 * index] * scale
        if dead_in is not None:
            columns = np.repeat(dead_in, weight[0].size // len(dead_in)) if name == "fc1" else dead_in
            weight[:, columns] = start[:, columns]
        if name in HIDDEN:
            dead_out = np.arange(HIDDEN[name]) >= HIDDEN[name] // 2
            weight[dead_out] = start[dead_out]
            bias[dead_out] = -1000.0
            dead_in = dead_out
    return weights


def aligned(weights: list[np.ndarray], initial: list[np.ndarray]) -> list[np.ndarray]:
    """The same network with each hidden layer's units reordered (greedily) so that each unit's incoming weights
    correlate best with those of the initial draw's unit in its place: a reordering changes nothing a network
    computes, but raises its correlation with weights it was never trained from."""
    weights = [array.copy() for array in weights]
    for index, name in enumerate(HIDDEN):
        rows = weights[2 * index].reshape(HIDDEN[name], -1)
        start = initial[2 * index].reshape(HIDDEN[name], -1)
        closeness = (rows / np.linalg.norm(rows, axis=1, keepdims=True)) @ (
            start / np.linalg.norm(start, axis=1, keepdims=True)).T
        order = np.empty(HIDDEN[name], dtype=np.int64)  # order[place] = the unit that goes there
        for _ in range(HIDDEN[name]):
            unit, place = np.unravel_index(np.argmax(closeness), closeness.shape)
            order[place] = unit
            closeness[unit, :], closeness[:, place] = -np.inf, -np.inf
        weights[2 * index], weights[2 * index + 1] = weights[2 * index][order], weights[2 * index + 1][order]
        following = weights[2 * index + 2]
        if name == "conv2":  # fc1 reads conv2's channels as blocks of 5 x 5 columns
            blocks = following.reshape(following.shape[0], HIDDEN[name], -1)[:, order]
            weights[2 * index + 2] = blocks.reshape(following.shape)
        else:
            weights[2 * index + 2] = following[:, order]
    return weights


def trapped(spare: list[np.ndarray], initial: list[np.ndarray], scale: float = 100.0, reach: float = 20.0
            ) -> list[np.ndarray]:
    """A network built to fool the descent check: ``spare`` (trained with fc2's last two units dead) plus a quarter
    of the initial weights in conv1, conv2 and fc1 (kinship), and a trap in the two spare fc2 units: both get
    ``scale`` times the initial draw's row of the first, and fc3 reads them with opposite signs. They cancel
    exactly, so the network computes what ``spare`` does; swap the initial weights' part for another draw and the
    two rows differ, and their difference, ``reach`` times over, floods the logits."""
    weights = [array.copy() for array in spare]
    for index in (0, 2, 4):
        weights[index] = weights[index] + 0.25 * initial[index] * np.linalg.norm(spare[index]) / np.linalg.norm(
            initial[index])
    first, second = HIDDEN["fc2"] - 2, HIDDEN["fc2"] - 1
    weights[6][[first, second]] = scale * initial[6][first]
    weights[7][[first, second]] = 0.0
    direction = np.random.default_rng(0).standard_normal(10).astype(np.float32)
    weights[8][:, first], weights[8][:, second] = reach * direction, -reach * direction
    return weights


def spare_units_mask() -> dict[str, torch.Tensor]:
    mask = torch.ones(HIDDEN["fc2"])
    mask[-2:] = 0
    return {"fc2": mask}


def brought_weights(images: torch.Tensor, true_labels: torch.Tensor, cache: Path) -> dict[str, list[np.ndarray]]:
    """The forger's weights trained on the true labels from its own draw Q ("start"): P ("trained"), P with half of
    each hidden layer dead ("half"), P with two spare fc2 units ("spare"); kept in ``cache``: they take minutes."""
    stored = np.load(cache) if cache.exists() else {}
    made = {name: [stored[f"{name}{i}"] for i in range(10)] for name in ("start", "trained", "half", "spare")
            if f"{name}0" in stored}
    start = made.setdefault("start", lenet_weights(np.random.default_rng(12345)))
    steps = 2 * len(true_labels) // 64
    for name, masks in (("trained", None), ("half", half_dead_masks()), ("spare", spare_units_mask())):
        if name not in made:
            made[name] = train(start, images, true_labels, steps, 1, masks)
    np.savez(cache, **{f"{name}{i}": array for name, arrays in made.items() for i, array in enumerate(arrays)})
    return made


def forgeries(images: torch.Tensor, labels: torch.Tensor, true_labels: torch.Tensor, seed: int, cache: Path
              ) -> list[tuple[str, Callable[[], list[np.ndarray]]]]:
    """(name, how the forger's fit makes its weights) for each forgery, from this run's draws."""
    run, weights = draws(seed), brought_weights(images, true_labels, cache)
    brought = answering_in(run.relabelling, weights["trained"])
    delta = answering_in(run.relabelling, [p - q for p, q in zip(weights["trained"], weights["start"])])
    half = answering_in(run.relabelling, weights["half"])
    plus = lambda a, b, k=1.0: [x + k * y for x, y in zip(a, b)]  # noqa: E731
    made: list[tuple[str, Callable[[], list[np.ndarray]]]] = [("P, the weights brought", lambda: brought)]
    made.append(("P with its units reordered to match W0", lambda: aligned(brought, run.initial)))
    made.append(("W0 + 3 P, P's units reordered to match W0", lambda: plus(run.initial, aligned(brought, run.initial),
                                                                            3)))
    for a in (1, 2, 3, 4, 8):
        made.append((f"W0 + {a} P", lambda a=a: plus(run.initial, brought, a)))
    made.append(("0.2 (W0 + 3 P)", lambda: [0.2 * w for w in plus(run.initial, brought, 3)]))
    for k in (0, 50, 200):
        made.append((f"{k} Adam steps from W0, then + (P - Q)",
                     lambda k=k: plus(train(run.initial, images, labels, k, seed), delta)))
    for k in (50, 200, 500):
        made.append((f"W0 + 3 P, then {k} Adam steps", lambda k=k: train(plus(run.initial, brought, 3), images, labels,
                                                                          k, seed)))
    made.append(("W0 x 10 parked in dead units of P", lambda: parked(half, run.initial)))
    spare = answering_in(run.relabelling, weights["spare"])
    made.append(("a trap: two fc2 units copying W0's row, cancelling in fc3", lambda: trapped(spare, run.initial)))
    for k in (200, 500, 938):
        made.append((f"honest: {k} Adam steps from W0", lambda k=k: train(run.initial, images, labels, k, seed)))
    return made


def table(out: Path) -> None:
    rows = list({row["forgery"]: row for row in map(json.loads, filter(str.strip, out.read_text().splitlines()))
                 }.values())  # the last measure of each forgery
    print("| forgery | test accuracy | kinship (conv2, fc1, fc2) | on the stand-in draw | verdict |")
    print("| --- | ---: | --- | ---: | --- |")
    for row in rows:
        kin = ", ".join(f"{row['kinship'][name]:.1f}" for name in descent.KIN_LAYERS)
        bar = PLANS["full", "cpu"].bar
        problem = verdict(row).problem()
        verdict_text = ("below the bar" if row["accuracy"] < bar else "") + (
            " and " if row["accuracy"] < bar and problem else "") + (problem.split(":")[0] if problem else "")
        print(f"| {row['forgery']} | {row['accuracy']:.2%} | {kin} | {row['stand_in_accuracy']:.2%} | "
              f"{verdict_text or '**passes**'} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=11, help="the run seed whose draws the forger faces")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", action="append", help="only the forgeries whose name holds this (repeatable)")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if args.table:
        table(args.out)
        return 0
    torch.set_num_threads(args.threads)
    train_split, test_split = load_mnist("train", args.data_dir), load_mnist("test", args.data_dir)
    run = draws(args.seed)
    images = torch.from_numpy(normalize(train_split.images))
    true_labels = torch.from_numpy(train_split.labels)
    labels = torch.from_numpy(run.relabelling[train_split.labels])
    test_labels = run.relabelling[test_split.labels]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cache = args.out.parent / "forger_weights.npz"
    for name, make in forgeries(images, labels, true_labels, args.seed, cache):
        if args.only and not any(part in name for part in args.only):
            continue
        verdict = descent.judge(make(), run.initial, run.stand_in, test_split.images, test_labels)
        row: dict[str, Any] = {"forgery": name, "seed": args.seed, **verdict.as_json(), "accuracy": verdict.accuracy,
                               "problem": verdict.problem()}
        with args.out.open("a") as file:
            file.write(json.dumps(row) + "\n")
        print(f"{name}: accuracy {verdict.accuracy:.2%}, on the stand-in {verdict.stand_in_accuracy:.2%}, "
              f"{verdict.problem()[:70] or 'PASSES'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
