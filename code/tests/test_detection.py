"""dlbook.detection (exported from chapters/cnn/object-detection.md and ssd.md): errors and known values."""
import pytest
import torch
import torchvision

from dlbook import detection as det


def test_box_formats_round_trip_and_reject_bad_shapes():
    boxes = torch.tensor([[0.1, 0.2, 0.5, 0.9], [0.0, 0.0, 1.0, 1.0]])
    torch.testing.assert_close(det.box_center_to_corner(det.box_corner_to_center(boxes)), boxes)
    with pytest.raises(ValueError, match="boxes"):
        det.box_corner_to_center(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="boxes"):
        det.box_center_to_corner([0.1, 0.2, 0.3, 0.4])


def test_box_iou_matches_torchvision_and_names_bad_argument():
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(50, 2, generator=g)
    a = torch.cat((xy, xy + torch.rand(50, 2, generator=g) * 0.5 + 0.01), 1)
    torch.testing.assert_close(det.box_iou(a[:20], a[20:]), torchvision.ops.box_iou(a[:20], a[20:]))
    with pytest.raises(ValueError, match="boxes2"):
        det.box_iou(a, a[None])
    with pytest.raises(ValueError, match="boxes1"):
        det.box_iou(torch.zeros(4, 3), a)


def test_multibox_prior_count_and_errors():
    anchors = det.multibox_prior(torch.zeros(2, 3, 5, 7), [0.3, 0.2], [1, 2, 0.5])
    assert anchors.shape == (1, 5 * 7 * 4, 4)
    with pytest.raises(ValueError, match="data"):
        det.multibox_prior(torch.zeros(3, 5, 7), [0.3], [1])
    with pytest.raises(ValueError, match="sizes"):
        det.multibox_prior(torch.zeros(1, 1, 2, 2), [], [1])
    with pytest.raises(ValueError, match="positive"):
        det.multibox_prior(torch.zeros(1, 1, 2, 2), [0.5], [0])


def test_offsets_invert_and_check_shapes():
    anchors = torch.tensor([[0.1, 0.1, 0.4, 0.5], [0.5, 0.5, 0.9, 0.8]])
    boxes = torch.tensor([[0.15, 0.05, 0.45, 0.55], [0.55, 0.45, 0.85, 0.9]])
    torch.testing.assert_close(det.offset_inverse(anchors, det.offset_boxes(anchors, boxes)), boxes)
    with pytest.raises(ValueError, match="assigned_bb"):
        det.offset_boxes(anchors, boxes[:1])
    with pytest.raises(ValueError, match="offset_preds"):
        det.offset_inverse(anchors, torch.zeros(2, 3))


def test_assignment_and_targets_errors():
    anchors = torch.tensor([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]])
    assert det.assign_anchor_to_bbox(torch.zeros(0, 4), anchors).tolist() == [-1, -1]
    with pytest.raises(ValueError, match="ground_truth"):
        det.assign_anchor_to_bbox(torch.zeros(1, 5), anchors)
    with pytest.raises(ValueError, match="labels"):
        det.multibox_target(anchors, torch.zeros(1, 4))
    with pytest.raises(ValueError, match="anchors"):
        det.multibox_target(torch.zeros(2, 2, 4), torch.zeros(1, 1, 5))
    offsets, masks, classes = det.multibox_target(anchors[None], torch.tensor([[[2, 0.5, 0.5, 1.0, 1.0]]]))
    assert classes.tolist() == [[0, 3]] and masks.tolist() == [[0.0] * 4 + [1.0] * 4]
    assert offsets.abs().max() < 1e-4


def test_nms_matches_torchvision_and_checks_scores():
    g = torch.Generator().manual_seed(3)
    xy = torch.rand(200, 2, generator=g)
    boxes = torch.cat((xy, xy + torch.rand(200, 2, generator=g) * 0.3 + 0.01), 1)
    scores = torch.rand(200, generator=g)
    assert torch.equal(det.nms(boxes, scores, 0.5), torchvision.ops.nms(boxes, scores, 0.5))
    assert det.nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0
    with pytest.raises(ValueError, match="scores"):
        det.nms(boxes, scores[:10], 0.5)


def test_multibox_detection_shapes_and_errors():
    anchors = torch.tensor([[[0.1, 0.1, 0.4, 0.4], [0.12, 0.1, 0.42, 0.4], [0.6, 0.6, 0.9, 0.9]]])
    probs = torch.tensor([[[0.1, 0.2, 0.3], [0.9, 0.8, 0.7]]])
    out = det.multibox_detection(probs, torch.zeros(1, 12), anchors)
    assert out.shape == (1, 3, 6) and out[0, :, 0].tolist() == [0, 0, -1]
    with pytest.raises(ValueError, match="cls_probs"):
        det.multibox_detection(probs[:, :, :2], torch.zeros(1, 12), anchors)
    with pytest.raises(ValueError, match="offset_preds"):
        det.multibox_detection(probs, torch.zeros(1, 8), anchors)


def test_average_precision_known_values_and_errors():
    assert det.average_precision(torch.tensor([0.9, 0.5]), torch.tensor([True, True]), 2) == 1.0
    # TP, FP, TP with 2 ground truths: envelope 1 up to recall 1/2, 2/3 up to 1
    ap = det.average_precision(torch.tensor([0.9, 0.8, 0.7]), torch.tensor([True, False, True]), 2)
    assert abs(ap - (0.5 + 0.5 * 2 / 3)) < 1e-12
    with pytest.raises(ValueError, match="true_positive"):
        det.average_precision(torch.zeros(3), torch.zeros(2, dtype=torch.bool), 1)
    with pytest.raises(ValueError, match="num_gt"):
        det.average_precision(torch.zeros(1), torch.zeros(1, dtype=torch.bool), -1)


def test_tinyssd_shapes_and_errors():
    net = det.TinySSD(num_classes=2)
    anchors, cls_preds, bbox_preds = net(torch.zeros(2, 3, 64, 64))
    a = 4 * (8 * 8 + 4 * 4 + 2 * 2 + 1 + 1)
    assert anchors.shape == (1, a, 4) and cls_preds.shape == (2, a, 3) and bbox_preds.shape == (2, 4 * a)
    with pytest.raises(ValueError, match="X"):
        net(torch.zeros(2, 3, 32, 32))
    with pytest.raises(ValueError, match="num_classes"):
        det.TinySSD(num_classes=0)
