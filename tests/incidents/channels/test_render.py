"""The words every sender shares."""

import pytest

from incidents.channels.render import human_duration


# Words ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (45, "45 s"), (724, "12 min 4 s"), (7500, "2 h 5 min"), (90061, "1 d 1 h")])
def test_durations_read_as_people_say_them(seconds, text):
    assert human_duration(seconds) == text
