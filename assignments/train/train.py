"""Assignment `train`: the training loop, evaluation and device choice for a PyTorch classifier.

Run `python train.py` to check that your loop runs one epoch on random data,
and `grader check train` for the full checks (which train a LeNet-5 on MNIST).
"""

# %% [markdown]
# # Training a CNN: the loop, evaluation, and the device
#
# A model is only as good as its training. In this assignment you write the
# three functions that every PyTorch project has in some form:
#
# - `pick_device()`: where to compute, a GPU when there is one;
# - `fit(model, train_loader, device, epochs)`: train the model, return the
#   mean training loss of each epoch;
# - `evaluate(model, loader, device)`: the fraction of examples the model
#   classifies correctly.
#
# The grader uses them to train a LeNet-5 on MNIST (60,000 handwritten digits
# for training, 10,000 for testing).

# %%
import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## The device
#
# PyTorch computes where its tensors are: on the CPU, or on a GPU (`"cuda"`).
# An operation needs all of its inputs on the same device, so the model's
# parameters and the batch must be moved to one place: `model.to(device)`
# moves the parameters (in place, and returns the model), `tensor.to(device)`
# returns a copy on that device (the original stays where it was, so assign
# the result). A model on the GPU given a batch on the CPU fails with
# *"Expected all tensors to be on the same device"*.
#
# `pick_device()` returns `torch.device("cuda")` when
# `torch.cuda.is_available()`, and `torch.device("cpu")` otherwise. Code
# written against a `device` variable runs unchanged on both.


# %%
def pick_device() -> torch.device:
    """torch.device('cuda') when a CUDA GPU is available, else torch.device('cpu')."""
    raise NotImplementedError("pick_device: write your solution here")


# %% [check]
if __name__ == "__main__":
    device = pick_device()
    print("device:", device)
    assert isinstance(device, torch.device), f"pick_device returned {device!r}, expected a torch.device"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device.type == expected, f"pick_device returned torch.device({device.type!r}), expected {expected!r} here"
    print("pick_device: OK")

# %% [markdown]
# ## Epochs, batches and the training loop
#
# One **epoch** is one pass over the whole training set. The set is too large to
# compute the loss on all of it at once, so the data loader cuts it into
# **batches** (mini-batches) of, say, 128 images, in a new random order each
# epoch; the model's parameters are updated once per batch. An epoch of MNIST
# at batch size 128 is 469 updates.
#
# Each update is five steps:
#
# 1. `optimizer.zero_grad()`: clear the gradients of the last batch
#    (PyTorch *adds* new gradients to the `.grad` already there);
# 2. forward: `logits = model(images)`;
# 3. the loss: `loss = F.cross_entropy(logits, labels)`;
# 4. backward: `loss.backward()` fills every parameter's `.grad`;
# 5. `optimizer.step()`: move every parameter against its gradient.
#
# The optimizer and its learning rate are yours to choose. SGD with learning
# rate 0.01 and momentum 0.9, or Adam with learning rate 1e-3, both train
# LeNet-5 well on MNIST; a learning rate ten times too large makes the
# loss jump about or blow up to `nan`, one ten times too small leaves the
# model far from trained after a few epochs.
#
# `fit` returns one number per epoch: the mean of the batch losses over the
# epoch (weighted by batch size, since the last batch may be smaller). If the
# training works, these numbers fall. Use `loss.item()` or `loss.detach()` to
# keep the number: adding up `loss` itself keeps every batch's computation
# graph alive until the end of the epoch.
#
# ## Cross-entropy on logits
#
# The model returns **logits**, one unnormalised score per class.
# `F.cross_entropy(logits, labels)` takes those raw scores and the integer
# labels (`int64`, shape `(B,)`, values `0..9`): it computes the log-softmax
# and the negative log-likelihood of the right class in one numerically
# stable step. Do not put a softmax in the model or before the loss: the loss
# would apply softmax twice, and learning would slow down.
#
# ## `model.train()` and `model.eval()`
#
# Some layers behave differently while training: dropout zeroes random units
# only in training, batch normalisation uses the batch's statistics in training
# and its running averages in evaluation. `model.train()` and `model.eval()`
# switch every layer of the model between the two modes. LeNet-5 has neither
# layer, so here the switch changes nothing, but a training loop that forgets it
# is wrong for the next model: call `model.train()` before training and
# `model.eval()` before measuring.
#
# ## How the grader grades this
#
# The grader builds a LeNet-5, calls **your** `fit` on the MNIST training set
# (normalised images of shape `(B, 1, 28, 28)`, `float32`, and `int64`
# labels) for a fixed number of epochs, and then measures the test accuracy
# **itself**, with its own code, on the 10,000 test images. Your `fit` never
# sees the test set, and your `evaluate` does not decide your score there: it
# is checked separately, on a model and data whose accuracy the grader knows.
# So a good `fit` is one that generalises, and it must do so within the
# check's time limit: a few epochs, not a hundred. The reference reaches
# about 98.5 % in 2 epochs.


# %%
def fit(model: nn.Module, train_loader, device: torch.device, epochs: int) -> list[float]:
    """Train model on the (images, labels) batches of train_loader for `epochs` epochs on device; returns each epoch's mean training loss."""
    raise NotImplementedError("fit: write your solution here")


# %% [check]
if __name__ == "__main__":
    # One short epoch on random data with a small model: the loop runs and the loss is a number.
    torch.manual_seed(0)
    images, labels = torch.randn(256, 1, 28, 28), torch.randint(0, 10, (256,))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), batch_size=64, shuffle=True)
    model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 32), nn.ReLU(), nn.Linear(32, 10))
    losses = fit(model, loader, torch.device("cpu"), epochs=1)
    print("epoch losses:", losses)
    assert isinstance(losses, list) and len(losses) == 1, f"expected a list with one loss per epoch, got {losses!r}"
    assert torch.isfinite(torch.tensor(losses[0])), "the loss is not finite: is the learning rate too large?"
    print("fit: one epoch on random data OK")

# %% [markdown]
# ## Evaluation
#
# Accuracy is the fraction of examples whose largest logit is the right
# class: `logits.argmax(dim=1) == labels`. Count the right ones over all the
# batches and divide by the number of examples (not by the number of
# batches: the last batch may be smaller).
#
# Evaluate in `model.eval()` mode and inside `with torch.no_grad():`, which
# tells autograd not to record the computation. No gradients are needed to
# measure, and without the graph evaluation is faster and needs far less
# memory.


# %%
def evaluate(model: nn.Module, loader, device: torch.device) -> float:
    """Fraction in [0, 1] of the (images, labels) examples of loader that model classifies correctly, computed on device."""
    raise NotImplementedError("evaluate: write your solution here")


# %% [check]
if __name__ == "__main__":
    # A model that always says class 3 is right exactly on the examples labelled 3.
    class AlwaysThree(nn.Module):
        def forward(self, x):
            logits = torch.zeros(len(x), 10)
            logits[:, 3] = 1.0
            return logits

    labels = torch.tensor([3, 1, 3, 3, 0, 9, 3, 2])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(8, 1, 28, 28), labels), batch_size=3)
    accuracy = evaluate(AlwaysThree(), loader, torch.device("cpu"))
    print("accuracy:", accuracy)
    assert accuracy == 0.5, f"expected 4 right out of 8 = 0.5, got {accuracy}"
    print("evaluate: OK")
