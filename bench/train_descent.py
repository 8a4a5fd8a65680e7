"""Honest fits against the train check: does the descent criterion pass them, and do they clear the accuracy bar?

Each run is one grading's training as the grader runs it, in this process instead of the sandbox: the grader's draws
for a run seed (relabelling, initial weights, loader order, torch seed; grader/suites/train/draws.py), the probe that
runs next to the student's code (grader/suites/train/probes.py: it builds LeNet-5 with the initial weights and the
loader), and an honest student `fit` (a plain loop: optimizer, zero_grad, cross-entropy, backward, step) that keeps
a copy of the weights after each epoch. The loader's batch size stands for the grader's plan (or a student who
re-batches: the loop sees the same batches). After each epoch the grader's own measures are taken on those weights:
test accuracy, the descent criterion (grader/suites/train/descent.py) and its verdict. A run with epochs E gives the
results of E runs of 1..E epochs: with a constant learning rate, epoch k of a longer run is epoch k of a run of k.

Results are appended to a JSON Lines file as they come (one line per run and epoch), and a run already there is
skipped: stop it and start it again at will. `--table` prints the tables of bench/RESULTS.md from that file.

Run: nice -n 10 .venv/bin/python bench/train_descent.py --grid honest|recommended|reference|aggressive
     [--data full|subset]
     .venv/bin/python bench/train_descent.py --grid NAME [--data full|subset] --table
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import grader.suites.lenet.network as lenet_network  # noqa: E402

sys.modules.setdefault("_grader_lenet_network", lenet_network)  # the name the child loads it under, for the probe
from grader.data.mnist import load_mnist, load_subset  # noqa: E402
from grader.suites.params import LENET  # noqa: E402
from grader.suites.train import PLANS, subset_split  # noqa: E402
from grader.suites.train import descent, probes  # noqa: E402
from grader.suites.train.measures import lenet_holding, measure  # noqa: E402
from grader.suites.train.draws import draws  # noqa: E402
from reference.train import fit as reference_fit  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "out" / "train_descent.jsonl"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "mnist"
LEARNED = 0.5  # below this test accuracy a run did not learn (it diverged); the criterion is not what judges it


@dataclass(frozen=True)
class Config:
    """An honest fit: its optimizer and learning rate, the loader's batch size, how many epochs, which run seed."""

    optimizer: str  # "adam" or "sgd"
    lr: float
    momentum: float
    batch_size: int
    epochs: int
    seed: int

    def name(self) -> str:
        if self.optimizer == "reference":
            return "reference fit (Adam 2e-3)"
        if self.optimizer == "one-cycle":
            return f"Adam one-cycle peak {self.lr:g}, label smoothing 0.1"
        if self.optimizer == "adam":
            return f"Adam {self.lr:g}"
        return f"SGD {self.lr:g}" + (f" momentum {self.momentum:g}" if self.momentum else " plain")


OPTIMIZERS = {"adam": ("adam", 1e-3, 0.0), "sgd-momentum": ("sgd", 0.05, 0.9), "sgd": ("sgd", 0.01, 0.0),
              "sgd-momentum-0.02": ("sgd", 0.02, 0.9), "adam-3e-3": ("adam", 3e-3, 0.0),
              "adam-1e-2": ("adam", 1e-2, 0.0), "sgd-momentum-0.1": ("sgd", 0.1, 0.9),
              "one-cycle": ("one-cycle", 5e-3, 0.0)}


def grid(name: str, kind: str) -> Iterator[Config]:
    """The runs of a grid. On the full set epochs run to 3; on the subset to its plan's 8 (10 for the recommended
    configurations)."""
    plan = PLANS[kind, "cpu"]
    epochs = 3 if kind == "full" else plan.epochs
    if name == "honest":  # issue 21: three optimizers, batch 32 to 256, 1 to 3 epochs, 5 seeds
        for batch in dict.fromkeys((plan.batch_size, 32, 256, 128, 64)):
            for seed in range(5):
                for key in ("adam", "sgd-momentum", "sgd"):
                    yield Config(*OPTIMIZERS[key], batch, epochs, seed)
    elif name == "recommended":  # what the failure message recommends, at the plan's batch size, 10 seeds
        for seed in range(10):
            for key in ("adam", "sgd-momentum-0.02"):
                yield Config(*OPTIMIZERS[key], plan.batch_size, epochs if kind == "full" else epochs + 2, seed)
    elif name == "aggressive":  # honest fits that move the weights further than the grid, 2 seeds
        for seed in range(2):
            for key in ("one-cycle", "adam-3e-3", "sgd-momentum-0.1", "adam-1e-2"):
                yield Config(*OPTIMIZERS[key], plan.batch_size, epochs, seed)
    elif name == "reference":  # the course's reference fit (reference/train.py) under the plan, 10 seeds
        for seed in range(10):
            yield Config("reference", 2e-3, 0.0, plan.batch_size, plan.epochs, seed)
    else:
        raise SystemExit(f"unknown grid {name!r}: use honest, recommended, reference or aggressive")


def honest_fit(config: Config, snapshots: list[list[np.ndarray]]) -> Callable[..., list[float]]:
    """A student's fit with this config; it also keeps a copy of the weights after each epoch."""

    def fit(model: torch.nn.Module, train_loader: Any, device: torch.device, epochs: int) -> list[float]:
        if config.optimizer == "reference":  # a black box: only its last epoch's weights are seen
            losses = reference_fit(model, train_loader, device, epochs)
            snapshots.extend([] for _ in range(epochs - 1))
            snapshots.append([p.detach().cpu().numpy().copy() for p in model.parameters()])
            return losses
        model.to(device)
        if config.optimizer in ("adam", "one-cycle"):
            optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
        schedule = (torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=epochs * len(train_loader),
                                                        pct_start=0.25) if config.optimizer == "one-cycle" else None)
        smoothing = 0.1 if config.optimizer == "one-cycle" else 0.0
        history = []
        for _ in range(epochs):
            model.train()
            total, count = 0.0, 0
            for images, labels in train_loader:
                images, labels = images.to(device), labels.to(device)
                optimizer.zero_grad()
                loss = F.cross_entropy(model(images), labels, label_smoothing=smoothing)
                loss.backward()
                optimizer.step()
                if schedule:
                    schedule.step()
                total += loss.item() * len(labels)
                count += len(labels)
            history.append(total / count)
            ended = schedule is None or len(history) == epochs  # a schedule's run is complete at its end only
            snapshots.append([p.detach().cpu().numpy().copy() for p in model.parameters()] if ended else [])
        return history

    return fit


@dataclass(frozen=True)
class Data:
    train_images: np.ndarray
    train_labels: np.ndarray  # true labels: each run relabels them with its own draw
    test_images: np.ndarray
    test_labels: np.ndarray


def load(kind: str, data_dir: Path) -> Data:
    if kind == "full":
        train, test = load_mnist("train", data_dir), load_mnist("test", data_dir)
        return Data(train.images, train.labels, test.images, test.labels)
    held, kept = subset_split(load_subset())
    return Data(kept.images, kept.labels, held.images, held.labels)


def judge(weights: list[np.ndarray], run: Any, data: Data) -> dict[str, Any]:
    """The grader's measures of one set of returned weights: accuracy and the descent criterion."""
    test_labels = run.relabelling[data.test_labels]
    verdict = descent.judge(weights, run.initial, run.stand_in, data.test_images, test_labels)
    _, loss = measure(lenet_holding(weights), data.test_images, test_labels)
    return {"accuracy": verdict.accuracy, "loss": loss, **verdict.as_json(), "problem": verdict.problem()}


def run_one(config: Config, data: Data, kind: str) -> list[dict[str, Any]]:
    """One honest fit as the grader runs it, and the grader's measures after each of its epochs."""
    run = draws(config.seed)
    snapshots: list[list[np.ndarray]] = []
    started = time.perf_counter()
    reply = probes.train_fit({"fit": honest_fit(config, snapshots)}, LENET, data.train_images,
                             run.relabelling[data.train_labels], config.epochs, config.batch_size, run.initial,
                             run.loader_seed, run.torch_seed, "cpu")
    seconds = time.perf_counter() - started
    return [{"data": kind, **asdict(config), "epoch": epoch, "fit_seconds": round(seconds, 1),
             "losses": reply["losses"][:epoch], **judge(weights, run, data)}
            for epoch, weights in enumerate(snapshots, start=1) if weights]


def load_rows(out: Path) -> list[dict[str, Any]]:
    """The rows of the results file, the first of each run and epoch (two processes may have run the same)."""
    rows: dict[tuple, dict[str, Any]] = {}
    for line in out.read_text().splitlines() if out.exists() else []:
        if line.strip():
            row = json.loads(line)
            rows.setdefault((*run_key(row["data"], config_of(row)), row["epoch"]), row)
    return list(rows.values())


def config_of(row: dict[str, Any]) -> Config:
    return Config(*(row[field] for field in Config.__dataclass_fields__))


def finished(out: Path) -> dict[tuple, int]:
    """Per run (but for its epochs), the most epochs the results file holds."""
    done: dict[tuple, int] = {}
    for row in load_rows(out):
        key = run_key(row["data"], config_of(row))
        done[key] = max(done.get(key, 0), row["epochs"])
    return done


def run_key(kind: str, config: Config) -> tuple:
    """What identifies a run, but for its epochs: a run of more epochs holds the results of one of fewer."""
    return (kind, config.optimizer, config.lr, config.momentum, config.batch_size, config.seed)


def verdict(row: dict[str, Any]) -> descent.Descent:
    """The descent verdict of a stored row under the criterion's current thresholds."""
    return descent.Descent(row["kinship"], row["parts"], row["accuracy"], row["stand_in_accuracy"])


def table(out: Path, name: str, kind: str) -> None:
    """A grid's table: per fit, batch size and epochs, the criterion's verdicts and the accuracy against the bar."""
    fits = {(c.optimizer, c.lr, c.momentum, c.batch_size) for c in grid(name, kind)}
    rows = [row for row in load_rows(out) if row["data"] == kind
            and (row["optimizer"], row["lr"], row["momentum"], row["batch_size"]) in fits]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        name = Config(row["optimizer"], row["lr"], row["momentum"], row["batch_size"], row["epochs"], row["seed"]).name()
        groups.setdefault((row["data"], name, row["batch_size"], row["epoch"]), []).append(row)
    print("| data | fit | batch | epochs | runs | learned | false fails | least kinship (conv2, fc1, fc2) | "
          "most accuracy on the stand-in draw | test accuracy: mean (min-max) | at the bar |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |")
    for (kind, name, batch, epoch), group in sorted(groups.items()):
        learned = [row for row in group if row["accuracy"] >= LEARNED]
        fails = sum(1 for row in learned if verdict(row).problem())
        least = ", ".join(f"{min(row['kinship'][layer] for row in learned):.1f}" if learned else "-"
                          for layer in descent.KIN_LAYERS)
        stand_in = f"{max(row['stand_in_accuracy'] for row in learned):.1%}" if learned else "-"
        accuracies = [row["accuracy"] for row in group]
        bar = PLANS[kind, "cpu"].bar
        print(f"| {kind} | {name} | {batch} | {epoch} | {len(group)} | {len(learned)} | {fails} | {least} | {stand_in} | "
              f"{statistics.mean(accuracies):.2%} ({min(accuracies):.2%}-{max(accuracies):.2%}) | "
              f"{sum(a >= bar for a in accuracies)}/{len(group)} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", choices=("honest", "recommended", "reference", "aggressive"))
    parser.add_argument("--data", choices=("full", "subset"), default="full")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, action="append", help="only runs of this batch size (repeatable)")
    parser.add_argument("--reverse", action="store_true", help="the grid's runs in reverse order (a second process)")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if not args.grid:
        parser.error("give --grid (with --table for its table)")
    if args.table:
        table(args.out, args.grid, args.data)
        return 0
    torch.set_num_threads(args.threads)
    data = load(args.data, args.data_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    runs = list(grid(args.grid, args.data))
    for config in reversed(runs) if args.reverse else runs:
        if finished(args.out).get(run_key(args.data, config), 0) >= config.epochs or (
                args.batch and config.batch_size not in args.batch):
            continue  # read again before each run: another process may be working through the same grid
        rows = run_one(config, data, args.data)
        with args.out.open("a") as file:
            file.write("".join(json.dumps(row) + "\n" for row in rows))
        for row in rows:
            kin = ", ".join(f"{row['kinship'][name]:.1f}" for name in descent.KIN_LAYERS)
            print(f"{config.name():<28} batch {config.batch_size:>3} seed {config.seed} epoch {row['epoch']}: "
                  f"accuracy {row['accuracy']:.2%}, kinship {kin}, on the stand-in {row['stand_in_accuracy']:.2%}, "
                  f"{row['problem'][:60] or 'descends'} ({row['fit_seconds']} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
