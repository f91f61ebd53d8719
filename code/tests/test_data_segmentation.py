import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from dlbook import data


@pytest.fixture
def offline_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    return tmp_path


def test_colormap_matches_voc():
    cmap = data.voc_colormap()
    assert cmap.shape == (256, 3)
    assert cmap[0].tolist() == [0, 0, 0]
    assert cmap[1].tolist() == [128, 0, 0]          # aeroplane
    assert cmap[15].tolist() == [192, 128, 128]     # person
    assert cmap[255].tolist() == [224, 224, 192]    # the ignore border


def test_stand_in_has_voc_layout(tmp_path):
    root = data.voc_stand_in(tmp_path, {"train": 5, "val": 3}, size=32)
    base = root / "VOCdevkit" / "VOC2012"
    train_ids = (base / "ImageSets" / "Segmentation" / "train.txt").read_text().split()
    val_ids = (base / "ImageSets" / "Segmentation" / "val.txt").read_text().split()
    assert len(train_ids) == 5 and len(val_ids) == 3 and not set(train_ids) & set(val_ids)
    for name in train_ids + val_ids:
        assert (base / "JPEGImages" / f"{name}.jpg").exists()
        with Image.open(base / "SegmentationClass" / f"{name}.png") as mask:
            assert mask.mode == "P" and mask.size == (32, 32)
            assert set(np.unique(np.array(mask))) <= {0, 1, 2, 3, 255}
            assert np.array(mask.getpalette()[:6]).tolist() == [0, 0, 0, 128, 0, 0]
    ds = torchvision.datasets.VOCSegmentation(str(root), year="2012", image_set="val", download=False)
    image, target = ds[0]
    assert len(ds) == 3 and image.size == (32, 32) and target.mode == "P"


def test_offline_loader(offline_cache, capsys):
    train, val, classes, source = data.voc_segmentation(train_size=12, val_size=4, size=48)
    out = capsys.readouterr().out
    assert out.startswith("data: ") and "offline stand-in" in out and "12 train / 4 val" in out
    assert classes == data.SHAPE_CLASSES and train.source == source == val.source
    assert train.images.shape == (12, 3, 48, 48) and train.images.dtype == torch.float32
    assert 0 <= train.images.min() and train.images.max() <= 1
    assert train.labels.shape == (12, 48, 48) and train.labels.dtype == torch.long
    values = set(torch.unique(torch.cat([train.labels.flatten(), val.labels.flatten()])).tolist())
    assert values <= {0, 1, 2, 3, 255} and {0, 255} <= values and len(values & {1, 2, 3}) >= 2
    assert (offline_cache / "voc-shapes" / "VOCdevkit" / "VOC2012" / "JPEGImages").is_dir()


def test_offline_loader_is_deterministic(offline_cache, tmp_path_factory, monkeypatch):
    a, _, _, _ = data.voc_segmentation(train_size=6, val_size=2, size=32)
    b, _, _, _ = data.voc_segmentation(train_size=3, val_size=2, size=32)      # reuses the files
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path_factory.mktemp("fresh")))
    c, _, _, _ = data.voc_segmentation(train_size=6, val_size=2, size=32)      # generated again
    assert torch.equal(a.images[:3], b.images) and torch.equal(a.labels[:3], b.labels)
    assert torch.equal(a.images, c.images) and torch.equal(a.labels, c.labels)


def test_bad_arguments(offline_cache):
    with pytest.raises(ValueError):
        data.voc_segmentation(train_size=-1)
    with pytest.raises(ValueError):
        data.voc_segmentation(size=8)
    with pytest.raises(ValueError):
        data.SegmentationSet(torch.zeros(2, 3, 8, 8), torch.zeros(2, 8, 9, dtype=torch.long), ["a"], "x")
