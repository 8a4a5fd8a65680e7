"""Data the grader trains and evaluates students' models on: MNIST (see `grader.data.mnist`)."""
