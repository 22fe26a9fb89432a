"""Demo citizens' answers for `make run`: evaluations of about half the returned demo dossiers
and a little feedback, most of it answered, written through the same services as live use so
that the report page, the satisfaction views and the scorecard have something to show.

Deterministic (a fixed seed) and idempotent: nothing happens when evaluations already exist.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from citizens.models import Evaluation, Feedback
from citizens.services import evaluation_submit, feedback_answer, feedback_submit
from dossiers.models import Dossier, StaffProfile
from dossiers.roles import LEADER, role_group_name

EVALUATED_SHARE = 0.45
FEEDBACK_SHARE = 0.04
ANSWERED_SHARE = 0.75
COMPLAINTS = (
    "Cán bộ hẹn trả kết quả nhưng đến ngày hẹn chưa có, đề nghị kiểm tra.",
    "Phải đi lại nhiều lần để bổ sung giấy tờ, đề nghị hướng dẫn một lần cho đầy đủ.",
    "Thời gian chờ tại quầy lâu, đề nghị bố trí thêm cán bộ giờ cao điểm.",
)
PROPOSALS = (
    "Đề nghị cho phép nộp bản sao điện tử thay bản sao chứng thực.",
    "Đề nghị nhắn tin khi có kết quả để người dân không phải gọi điện hỏi.",
)
ANSWER = "Đơn vị đã tiếp nhận ý kiến, kiểm tra và phản hồi: {note}"
NOTES = ("hồ sơ đã được giải quyết, xin lỗi ông/bà vì sự chậm trễ.", "đơn vị ghi nhận và sẽ cải tiến quy trình.")


@dataclass
class DemoCitizensResult:
    evaluations: int = 0
    feedback: int = 0
    answered: int = 0


def _points(rng: random.Random) -> list[int]:
    mood = rng.random()  # most citizens are content, a few are not
    weights = (2, 18, 80) if mood < 0.8 else ((10, 50, 40) if mood < 0.95 else (50, 40, 10))
    return rng.choices((0, 1, 2), weights=weights, k=9)


def demo_citizens_load(*, seed: int = 2026, stdout=None) -> DemoCitizensResult:
    result = DemoCitizensResult()
    if Evaluation.objects.exists() or Feedback.objects.exists():
        if stdout is not None:
            stdout.write("Đã có phiếu đánh giá hoặc phản ánh, kiến nghị: không tạo thêm.\n")
        return result
    rng = random.Random(seed)
    now = timezone.now()
    leaders = {
        p.unit_id: p.user
        for p in StaffProfile.objects.select_related("user").filter(user__groups__name=role_group_name(LEADER))
    }
    with transaction.atomic():
        returned = Dossier.objects.filter(returned_at__isnull=False).order_by("code")
        for d in returned:
            if rng.random() >= EVALUATED_SHARE:
                continue
            at = min(d.returned_at + timedelta(minutes=rng.randint(2, 60 * 24 * 3)), now)
            evaluation_submit(dossier=d, points=_points(rng), source=rng.choice(("online", "kiosk")), at=at)
            result.evaluations += 1
        for d in Dossier.objects.filter(received_at__isnull=False).order_by("code"):
            if rng.random() >= FEEDBACK_SHARE:
                continue
            at = d.received_at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6))
            if at >= now:
                continue
            kind = rng.choice(("complaint", "complaint", "proposal"))
            text = rng.choice(COMPLAINTS if kind == "complaint" else PROPOSALS)
            fb = feedback_submit(dossier=d, kind=kind, content=text, at=at)
            result.feedback += 1
            leader = leaders.get(fb.unit_id)
            answered_at = at + timedelta(days=rng.randint(1, 18))
            if leader is not None and answered_at < now and rng.random() < ANSWERED_SHARE:
                feedback_answer(feedback=fb, answer=ANSWER.format(note=rng.choice(NOTES)), actor=leader, at=answered_at)
                result.answered += 1
    if stdout is not None:
        stdout.write(
            f"Đã tạo {result.evaluations} phiếu đánh giá, {result.feedback} phản ánh, kiến nghị "
            f"({result.answered} đã trả lời).\n"
        )
    return result
