import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Every test gets its own data cache and results folder, and no profile/offline settings."""
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("DLBOOK_RESULTS", str(tmp_path / "results"))
    for var in ("DLBOOK_PROFILE", "DLBOOK_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
