"""The package imports, exposes one error hierarchy, and maps native errors onto it."""

import siperb
from siperb import errors


def test_native_module_loads() -> None:
    from siperb import _core

    assert "native core" in (_core.__doc__ or "")


def test_every_error_is_a_siperb_error() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, siperb.SiperbError), name


def test_error_carries_field_and_reason() -> None:
    e = errors.SipParseError("CSeq: not a number", field="CSeq", reason="not a number")
    assert (e.field, e.reason, str(e)) == ("CSeq", "not a number", "CSeq: not a number")
    assert isinstance(e, ValueError)
