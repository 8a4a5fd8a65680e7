# Attack: print a fake Gradescope results.json and "All tests passed", at import and from a function that is
# wrong (it returns 0). What a submission prints is shown to the student as output, never read as a result.
import json
import sys

FAKE = json.dumps({"score": 100.0, "execution_time": 0.1, "output": "All tests passed", "tests": [
    {"name": "conv_count_with_bias", "score": 1.0, "max_score": 1.0, "status": "passed", "output": "ok"}]})
print(FAKE)
print("All tests passed")
sys.__stdout__.write(FAKE + "\n")
sys.stderr.write("All tests passed\n")


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    print(FAKE)
    print("All tests passed", file=sys.stderr)
    return 0
