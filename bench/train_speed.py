"""How fast the reference recipe trains LeNet-5 to 99.0 % MNIST test accuracy, median over seeds.

The model is `reference.lenet.LeNet5` as specified (ReLU, max pooling, 61,706 parameters). The whole training
set lives as one normalised tensor on the device; each epoch indexes a fresh random permutation of it in
batches (no DataLoader in the hot loop, the last partial batch dropped). The model is evaluated on the
10,000 test images every `--eval-every` of an epoch, and a seed's run stops at the first evaluation at
or above 99.0 %. The time to 99.0 % counts training only: loading the data, moving it to the device,
the evaluations and a warm-up on a throwaway model (oneDNN / cuDNN setup) are left out.

Goals: at most 60 s on the project's 2-core CPU, at most 1 s on one H100.

Run: .venv/bin/python bench/train_speed.py [--device cpu|cuda] [--seeds N] [--data-dir DIR] [--threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.data.mnist import load_mnist, normalize  # noqa: E402
from reference.lenet import LeNet5  # noqa: E402

TARGET = 0.99
GOAL_SECONDS = {"cpu": 60.0, "cuda": 1.0}
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "mnist"
QUIET = 0.10  # largest share of the machine other processes may use while a seed is timed (CPU runs)
HZ = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Recipe:
    """Everything that decides how the model is trained: Adam under a one-cycle learning-rate schedule."""

    batch_size: int
    peak_lr: float
    epochs: int  # length of the one-cycle schedule; a run that has not reached the target by then fails
    warmup: float  # fraction of the schedule spent raising the learning rate
    label_smoothing: float
    channels_last: bool = False
    amp: str = "off"  # "off" or "bf16" (autocast)
    tf32: bool = False

    def describe(self) -> str:
        return (f"Adam, one-cycle lr (peak {self.peak_lr:g}, {self.warmup:.0%} warm-up, cosine down over "
                f"{self.epochs} epochs), batch {self.batch_size}, label smoothing {self.label_smoothing:g}, "
                f"channels_last {'on' if self.channels_last else 'off'}, autocast {self.amp}, "
                f"TF32 {'on' if self.tf32 else 'off'}")


# Chosen by measurement (bench/RESULTS.md, "Training speed"); every field can be overridden on the command line.
RECIPES = {
    "cpu": Recipe(batch_size=128, peak_lr=5e-3, epochs=3, warmup=0.25, label_smoothing=0.1),
    "cuda": Recipe(batch_size=512, peak_lr=1e-2, epochs=6, warmup=0.25, label_smoothing=0.1, tf32=True),
}


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    return f"{model}, {os.cpu_count()} logical cores"


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent outside idle and iowait (0 where /proc/stat is missing)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / HZ


def own_seconds() -> float:
    times = os.times()
    return times.user + times.system


class OthersMeter:
    """Share of the machine's cores that other processes used between start() and share()."""

    def start(self) -> None:
        self.busy, self.own, self.wall = machine_busy_seconds(), own_seconds(), time.perf_counter()

    def share(self) -> float:
        wall = time.perf_counter() - self.wall
        others = (machine_busy_seconds() - self.busy) - (own_seconds() - self.own)
        return max(0.0, others / (wall * (os.cpu_count() or 1))) if wall > 0 else 0.0


def wait_for_quiet(limit_s: float) -> bool:
    """Wait up to limit_s for a 2-second window in which other processes use at most QUIET of the machine."""
    end = time.monotonic() + limit_s
    meter = OthersMeter()
    while True:
        meter.start()
        time.sleep(2.0)
        if meter.share() <= QUIET:
            return True
        if time.monotonic() >= end:
            return False


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_model(recipe: Recipe, device: torch.device) -> torch.nn.Module:
    model = LeNet5().to(device)
    return model.to(memory_format=torch.channels_last) if recipe.channels_last else model


def autocast(recipe: Recipe, device: torch.device):
    if recipe.amp == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def accuracy(model, images, labels, recipe: Recipe, device: torch.device, batch: int = 2000) -> float:
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=device)
    with torch.no_grad(), autocast(recipe, device):
        for start in range(0, len(labels), batch):
            correct += (model(images[start:start + batch]).argmax(dim=1) == labels[start:start + batch]).sum()
    model.train()
    return correct.item() / len(labels)


def warm_up(recipe: Recipe, device: torch.device, images, labels, steps: int = 20) -> None:
    """A few steps on a throwaway model so that one-time setup (kernel selection, JIT) is not timed."""
    model = make_model(recipe, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, **({"fused": True} if device.type == "cuda" else {}))
    for step in range(steps):
        batch = slice(step * recipe.batch_size, (step + 1) * recipe.batch_size)
        with autocast(recipe, device):
            loss = F.cross_entropy(model(images[batch]), labels[batch], label_smoothing=recipe.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    accuracy(model, images[:4000], labels[:4000], recipe, device)
    sync(device)


@dataclass
class Run:
    seed: int
    seconds: float  # training time to the target (or to the end of the schedule when it was not reached)
    epochs: float
    accuracy: float
    reached: bool
    others: float  # share of the machine other processes used meanwhile (CPU runs)
    evaluations: int


def train_one(seed: int, recipe: Recipe, device: torch.device, train, test, eval_every: float) -> Run:
    train_images, train_labels = train
    test_images, test_labels = test
    torch.manual_seed(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    model = make_model(recipe, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.peak_lr,
                                 **({"fused": True} if device.type == "cuda" else {}))
    steps_per_epoch = len(train_labels) // recipe.batch_size
    total_steps = steps_per_epoch * recipe.epochs
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.peak_lr, total_steps=total_steps,
                                                   pct_start=recipe.warmup)
    checkpoints = {min(total_steps, max(1, round(k * eval_every * steps_per_epoch)))
                   for k in range(1, int(recipe.epochs / eval_every) + 2)} | {total_steps}
    meter = OthersMeter()
    meter.start()
    training, evaluations, acc, step = 0.0, 0, 0.0, 0
    model.train()
    sync(device)
    started = time.perf_counter()
    for _ in range(recipe.epochs):
        order = torch.randperm(len(train_labels), device=device, generator=generator)
        for index in range(steps_per_epoch):
            batch = order[index * recipe.batch_size:(index + 1) * recipe.batch_size]
            with autocast(recipe, device):
                loss = F.cross_entropy(model(train_images[batch]), train_labels[batch],
                                       label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if step in checkpoints:
                sync(device)
                training += time.perf_counter() - started
                acc = accuracy(model, test_images, test_labels, recipe, device)
                evaluations += 1
                if acc >= TARGET:
                    return Run(seed, training, step / steps_per_epoch, acc, True, meter.share(), evaluations)
                started = time.perf_counter()
    return Run(seed, training, step / steps_per_epoch, acc, False, meter.share(), evaluations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds, 0..N-1 (default 5)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    parser.add_argument("--eval-every", type=float, default=0.25, help="evaluate every this fraction of an epoch")
    parser.add_argument("--wait-quiet", type=float, default=120.0,
                        help="CPU: seconds to wait before each seed for other processes to leave the machine")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--epochs", type=int, help="length of the one-cycle schedule")
    parser.add_argument("--label-smoothing", type=float)
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--amp", choices=["off", "bf16"])
    parser.add_argument("--tf32", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args(argv)

    if args.device == "cuda" and not torch.cuda.is_available():
        print("--device cuda: no CUDA device is available here", file=sys.stderr)
        return 2
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {field: value for field, value in (
        ("batch_size", args.batch_size), ("peak_lr", args.lr), ("epochs", args.epochs),
        ("label_smoothing", args.label_smoothing), ("channels_last", args.channels_last), ("amp", args.amp),
        ("tf32", args.tf32)) if value is not None}
    recipe = Recipe(**{**RECIPES[args.device].__dict__, **overrides})
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = recipe.tf32
        torch.backends.cudnn.allow_tf32 = recipe.tf32
        torch.backends.cudnn.benchmark = True

    loaded = time.perf_counter()
    train_split, test_split = load_mnist("train", args.data_dir), load_mnist("test", args.data_dir)
    memory_format = torch.channels_last if recipe.channels_last else torch.contiguous_format

    def to_device(split):
        images = torch.from_numpy(normalize(split.images)).to(device).contiguous(memory_format=memory_format)
        return images, torch.from_numpy(split.labels).to(device)

    train, test = to_device(train_split), to_device(test_split)
    sync(device)
    print(f"device: {device_name(device)} ({device.type}); torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"data: {train_split.source}; {test_split.source} (loaded in {time.perf_counter() - loaded:.1f} s, not timed)")
    print(f"recipe: LeNet-5 (61,706 parameters), {recipe.describe()}"
          + (", cudnn.benchmark on, fused Adam" if device.type == "cuda" else ""))
    print(f"target: {TARGET:.1%} test accuracy, evaluated every {args.eval_every:g} epoch (evaluation not timed)")
    warm_up(recipe, device, *train)

    runs = []
    print(f"\n{'seed':>4} {'s to 99.0%':>11} {'epochs':>7} {'accuracy':>9} {'evals':>6} {'others':>7}")
    for seed in range(args.seeds):
        if device.type == "cpu" and args.wait_quiet > 0 and not wait_for_quiet(args.wait_quiet):
            print(f"     (seed {seed}: the machine did not become quiet within {args.wait_quiet:g} s; timing anyway)")
        run = train_one(seed, recipe, device, train, test, args.eval_every)
        runs.append(run)
        busy = device.type == "cpu" and run.others > QUIET
        seconds = f"{run.seconds:.2f}" if run.reached else f">{run.seconds:.1f}"
        print(f"{seed:>4} {seconds + ('*' if busy else ''):>11} {run.epochs:>7.2f} {run.accuracy:>9.2%} "
              f"{run.evaluations:>6} {run.others:>7.0%}", flush=True)

    reached = [run for run in runs if run.reached]
    goal = GOAL_SECONDS[device.type]
    if len(reached) < len(runs):
        print(f"\n{len(runs) - len(reached)} of {len(runs)} seeds did not reach {TARGET:.1%} within "
              f"{recipe.epochs} epochs")
    median = statistics.median(run.seconds if run.reached else float("inf") for run in runs)
    median_epochs = statistics.median(run.epochs for run in runs)
    verdict = "met" if median <= goal else "NOT met"
    print(f"\nmedian over {len(runs)} seeds: {median:.2f} s to {TARGET:.1%} ({median_epochs:.2f} epochs); "
          f"goal <= {goal:g} s on {device.type}: {verdict}")
    if any(device.type == "cpu" and run.others > QUIET for run in runs):
        print(f"* other processes used more than {QUIET:.0%} of the machine while this seed was timed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
