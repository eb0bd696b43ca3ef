"""Ids: from 1 to the largest 32-bit integer, the range of every key column, so an absurd id is a 422, not a 500.

The databases assign ids from their own sequences into 32-bit keys (INTEGER, SERIAL on PostgreSQL); 2^31 - 1 rows
of one table is far beyond a self-hosted deployment, and one range keeps SQLite and PostgreSQL answering alike.
Every id a client sends, in a path, a query string, a JSON body or a form, is one of the types below.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Path, Query
from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

MAX_ID = 2**31 - 1
_OUT_OF_RANGE = {"greater_than_equal", "less_than_equal"}


def _in_range(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Say the whole range when an id falls outside it, instead of pydantic's one bound."""
    try:
        return handler(value)
    except ValidationError as error:
        if any(e["type"] in _OUT_OF_RANGE for e in error.errors()):
            raise PydanticCustomError("id_range", "must be between 1 and {max_id}", {"max_id": MAX_ID}) from None
        raise


_IN_RANGE = WrapValidator(_in_range)
Id = Annotated[int, Field(ge=1, le=MAX_ID), _IN_RANGE]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID), _IN_RANGE]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID), _IN_RANGE]
IdForm = Annotated[int, Form(ge=1, le=MAX_ID), _IN_RANGE]
