import os
import pickle

import joblib
import numpy as np
import pytest

from gyml.errors import GymlError
from gyml.pose.readers import read_pose
from gyml.pose.safe_pickle import safe_load


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("compress", [0, 3])
def test_code_in_a_pickle_is_refused_and_never_runs(tmp_path, compress):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    joblib.dump({"poses": _Exploit(marker)}, path, compress=compress)
    with pytest.raises(GymlError, match="refusing"):
        safe_load(path)
    with pytest.raises(GymlError):
        read_pose(path)
    assert not marker.exists()


def test_plain_pickle_exploit_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps([_Exploit(marker)]))
    with pytest.raises(GymlError):
        safe_load(path)
    assert not marker.exists()


def test_object_arrays_are_refused(tmp_path):
    path = tmp_path / "obj.pkl"
    joblib.dump({"x": np.array([1, "a"], dtype=object)}, path, compress=3)
    with pytest.raises(GymlError):
        safe_load(path)


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("xz", 3), ("bz2", 3)])
def test_arrays_and_containers_load(tmp_path, compress):
    data = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "f": np.asfortranarray(np.eye(3)[:, :2]),
            "nested": [1, 2.5, "x", {"y": np.float32(2.0)}]}
    path = tmp_path / "ok.pkl"
    joblib.dump(data, path, compress=compress)
    back = safe_load(path)
    assert np.array_equal(back["a"], data["a"]) and np.array_equal(back["f"], data["f"])
    assert back["nested"][3]["y"] == 2.0
