"""One row per admin form post that went through: its one-time token, so a re-post does nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shopify_app.clock import utcnow
from shopify_app.db import Base


class FormSubmission(Base):
    __tablename__ = "form_submissions"

    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
