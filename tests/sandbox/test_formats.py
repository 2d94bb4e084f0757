from datetime import datetime, timezone

import pytest
from utwilio_sandbox.formats import is_phone_number, is_sid, new_sid, rfc2822, segment_count


def test_sids_are_two_letters_and_32_hex_digits():
    sid = new_sid("SM")
    assert is_sid(sid, "SM") and len(sid) == 34
    assert not is_sid("SM" + "G" * 32)
    assert new_sid("SM") != sid


def test_dates_are_rfc_2822_in_utc():
    moment = datetime(2026, 11, 23, 12, 30, tzinfo=timezone.utc)
    assert rfc2822(moment) == "Mon, 23 Nov 2026 12:30:00 +0000"
    assert rfc2822(None) is None


@pytest.mark.parametrize(
    "number, ok",
    [
        ("+15551234567", True),
        ("+447911123456", True),
        ("+1555", False),
        ("15551234567", False),
        ("+0123456789", False),
        ("+155512345678", False),
        ("+4479111234567890", False),
    ],
)
def test_phone_numbers_must_be_e164(number, ok):
    assert is_phone_number(number) is ok


@pytest.mark.parametrize(
    "body, segments",
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),  # extension characters take two septets
        ("é" * 160, 1),  # in the GSM basic set
        ("ł" * 70, 1),
        ("ł" * 71, 2),
        ("ł" * 134, 2),
        ("ł" * 135, 3),
        ("😀" * 35, 1),
        ("😀" * 36, 2),  # an emoji is two UCS-2 units
        ("a" * 66 + "😀", 1),
        ("ł" * 66 + "😀" + "a" * 4, 2),
    ],
)
def test_segments_follow_gsm7_and_ucs2_limits(body, segments):
    assert segment_count(body) == segments


def test_a_surrogate_pair_is_not_split_across_segments():
    assert segment_count("ł" * 66 + "😀" + "ł" * 66) == 3
