"""Imports every table so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from sqlmodel import SQLModel

metadata = SQLModel.metadata

__all__ = ["metadata"]
