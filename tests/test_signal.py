import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from gyml.reps.signal import autocorrelation, gaussian_lowpass


@pytest.mark.parametrize("sigma", [2.0, 7.5, 40.0, 120.0])
@pytest.mark.parametrize("shape", [(900,), (1800, 42), (50, 3)])
def test_fft_lowpass_is_scipys_gaussian_filter(sigma, shape):
    # a random walk with a step: edges and jumps are where padding mistakes would show
    x = np.random.default_rng(int(sigma)).normal(size=shape).cumsum(axis=0)
    x[len(x) // 2:] += 5.0
    expected = gaussian_filter1d(x, sigma, axis=0, mode="nearest")
    np.testing.assert_allclose(gaussian_lowpass(x, sigma), expected, rtol=0, atol=1e-9)


def test_autocorrelation_matches_the_direct_sum():
    rng = np.random.default_rng(3)
    t = np.arange(301)
    x = np.c_[np.sin(2 * np.pi * t / 37), np.cos(2 * np.pi * t / 37) + 0.3 * rng.normal(size=len(t))]
    centred = x - x.mean(axis=0)
    direct = np.array([(centred[:len(t) - k] * centred[k:]).sum() / (len(t) - k) for k in range(len(t))])
    np.testing.assert_allclose(autocorrelation(x), direct / direct[0], atol=1e-9)
    assert np.argmax(autocorrelation(x)[20:60]) + 20 == 37
