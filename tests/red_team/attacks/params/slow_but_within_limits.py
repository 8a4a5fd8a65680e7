# Attack (or just slow code): every call sleeps 0.3 s, far below the time limit of one call, so no call times out
# and no CPU limit binds; at the thorough profile's example counts that would be hours per submission.
import time

_correct_linear_param_count = linear_param_count


def linear_param_count(in_features, out_features, bias=True):
    time.sleep(0.3)
    return _correct_linear_param_count(in_features, out_features, bias)
