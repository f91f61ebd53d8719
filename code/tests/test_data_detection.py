"""The banana detection loader and its generated offline stand-in."""
import numpy as np
import pytest
import torch

from dlbook import data


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))


def test_shapes_ranges_and_announcement(offline, capsys):
    train, val, source = data.banana_detection(train_size=6, val_size=3, size=64)
    line = capsys.readouterr().out.strip()
    assert line.startswith("data: ") and "offline stand-in" in line and "DLBOOK_OFFLINE" in line
    assert "6 train / 3 val" in line and line.count("\n") == 0
    assert train.images.shape == (6, 3, 64, 64) and val.images.shape == (3, 3, 64, 64)
    assert train.targets.shape == (6, 1, 5) and val.targets.shape == (3, 1, 5)
    assert train.images.dtype == torch.float32 and 0 <= train.images.min() and train.images.max() <= 1
    boxes = torch.cat([train.targets, val.targets])[:, 0]
    assert (boxes[:, 0] == 0).all()                                  # one class: banana = 0
    assert (boxes[:, 1:] >= 0).all() and (boxes[:, 1:] <= 1).all()
    assert (boxes[:, 3] > boxes[:, 1]).all() and (boxes[:, 4] > boxes[:, 2]).all()
    assert source == train.source == val.source and "generated" in source
    x, y = train[0]
    assert x.shape == (3, 64, 64) and y.shape == (1, 5)


def test_boxes_are_tight_around_the_masks():
    images, targets, masks = data.banana_stand_in(8, size=48, seed=3)
    for box, mask in zip(targets[:, 0, 1:], masks):
        rows, cols = torch.nonzero(mask.any(dim=1)).flatten(), torch.nonzero(mask.any(dim=0)).flatten()
        expected = torch.tensor([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]) / 48
        torch.testing.assert_close(box, expected.float())
        xmin, ymin, xmax, ymax = (box * 48).round().long().tolist()
        outside = mask.clone()
        outside[ymin:ymax, xmin:xmax] = False
        assert mask.sum() > 0 and not outside.any()                 # every mask pixel inside the box


def test_object_pixels_are_yellow():
    images, _, masks = data.banana_stand_in(5, size=64, seed=0)
    for img, mask in zip(images, masks):
        r, g, b = (img[c][mask].mean() for c in range(3))
        assert r > b + 0.3 and g > b + 0.3


def test_deterministic_and_prefix_stable(offline, capsys):
    a, av, _ = data.banana_detection(train_size=4, val_size=2, size=32)
    b, bv, _ = data.banana_detection(train_size=7, val_size=2, size=32)
    assert torch.equal(a.images, b.images[:4]) and torch.equal(a.targets, b.targets[:4])
    assert torch.equal(av.images, bv.images)
    assert not torch.equal(a.images[:2], av.images)                  # train and val differ


def test_only_the_requested_images_are_generated(offline, capsys, monkeypatch):
    calls = []
    original = data._stand_in_example
    monkeypatch.setattr(data, "_stand_in_example", lambda rng, size: calls.append(1) or original(rng, size))
    data.banana_detection(train_size=3, val_size=2, size=32)
    assert len(calls) == 5


def test_bad_arguments(offline):
    with pytest.raises(ValueError, match="train_size"):
        data.banana_detection(train_size=-1)
    with pytest.raises(ValueError, match="size"):
        data.banana_detection(size=4)
    with pytest.raises(ValueError, match="targets"):
        data.DetectionSet(torch.zeros(2, 3, 8, 8), torch.zeros(2, 5), "x")


def test_real_archive_is_read_when_cached(tmp_path, monkeypatch, capsys):
    """A zip in d2l's layout, placed in the cache with a matching checksum, is read and normalised."""
    import io
    import zipfile

    from PIL import Image

    monkeypatch.setenv("DLBOOK_DATA", str(tmp_path))
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for split, n in (("train", 3), ("val", 2)):
            rows = ["img_name,label,xmin,ymin,xmax,ymax"]
            for i in range(n):
                img = np.zeros((256, 256, 3), dtype=np.uint8)
                img[10 + i:50, 20:60] = 255
                png = io.BytesIO()
                Image.fromarray(img).save(png, format="PNG")
                archive.writestr(f"banana-detection/bananas_{split}/images/{i}.png", png.getvalue())
                rows.append(f"{i}.png,0,20,{10 + i},60,50")
            archive.writestr(f"banana-detection/bananas_{split}/label.csv", "\n".join(rows) + "\n")
    path = tmp_path / "banana-detection.zip"
    path.write_bytes(buffer.getvalue())
    monkeypatch.setattr(data, "BANANA_SHA1", data.file_hash(path, "sha1"))
    train, val, source = data.banana_detection(train_size=2, size=128)
    assert "offline stand-in" not in capsys.readouterr().out and "d2l" in source
    assert train.images.shape == (2, 3, 128, 128) and val.images.shape == (2, 3, 128, 128)
    torch.testing.assert_close(train.targets[1, 0], torch.tensor([0, 20 / 256, 11 / 256, 60 / 256, 50 / 256]))
