# Copyright 2016 Google Inc. All Rights Reserved.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""OpenHTF's example phases, from google/openhtf ``examples/`` (commit efec5c72).

Taken from ``hello_world.py``, ``measurements.py``, ``all_the_things.py`` and
``phase_groups.py``, with these changes so that they run unattended in a test
suite: operator prompts and example plugs are replaced by the values they would
give (``all_the_things.hello_world`` gets ``"MyWidget"``), its monitor and
attachments phase are left out (attachments are recorded elsewhere), the random
noise of ``multdim_measurements`` is fixed, sleeps are shortened, and the code is
reformatted to this project's style. The phases, measurements, validators,
docstrings, units, dimensions, marginal limits, log lines and phase groups are
OpenHTF's.
"""

from __future__ import annotations

import time
from typing import Any

import openhtf as htf
from openhtf.util import units, validators

# -- hello_world.py ----------------------------------------------------------------


@htf.measures(htf.Measurement("hello_world_measurement"))
def hello_world(test: Any) -> None:
    """A hello world test phase."""
    test.logger.info("Hello World!")
    test.measurements.hello_world_measurement = "Hello Again!"


# -- measurements.py ---------------------------------------------------------------


@htf.measures(htf.Measurement("hello_world_measurement"))
def hello_phase(test: Any) -> None:
    test.measurements.hello_world_measurement = "Hello!"


@htf.measures("hello_again_measurement")
def again_phase(test: Any) -> None:
    test.measurements.hello_again_measurement = "Again!"


@htf.measures("first_measurement", "second_measurement")
@htf.measures(htf.Measurement("third"), htf.Measurement("fourth"))
def lots_of_measurements(test: Any) -> None:
    test.measurements.first_measurement = "First!"
    test.measurements["second_measurement"] = "Second :("
    for measurement in ("third", "fourth"):
        test.measurements[measurement] = measurement + " is the best!"


@htf.measures(
    htf.Measurement("validated_measurement")
    .in_range(0, 10)
    .doc("This measurement is validated.")
    .with_units(htf.units.SECOND)
)
def measure_seconds(test: Any) -> None:
    test.measurements.validated_measurement = 5


@htf.measures(
    "inline_kwargs",
    docstring="This measurement is declared inline!",
    units=htf.units.HERTZ,
    validators=[validators.in_range(0, 10)],
)
@htf.measures("another_inline", docstring="Because why not?")
def inline_phase(test: Any) -> None:
    """Phase that declares a measurements validators as a keyword argument."""
    test.measurements.inline_kwargs = 15
    test.measurements.another_inline = "This one is unvalidated."
    test.logger.info("Set inline_kwargs to a failing value, test should FAIL!")


@htf.measures(htf.Measurement("power_time_series").with_dimensions("ms", "V", "A"))
@htf.measures(htf.Measurement("average_voltage").with_units("V"))
@htf.measures(htf.Measurement("average_current").with_units("A"))
@htf.measures(htf.Measurement("resistance").with_units("ohm").in_range(9, 11))
def multdim_measurements(test: Any) -> None:
    """Phase with a multidimensional measurement."""
    for t in range(10):
        resistance = 10
        voltage = 10 + 10.0 * t
        current = voltage / resistance + 0.001 * t
        test.measurements["power_time_series"][(t, voltage, current)] = 0
    power_df = test.measurements["power_time_series"].to_dataframe(columns=["ms", "V", "A", "n/a"])
    test.logger.info("This is what a dataframe looks like:\n%s", power_df)
    test.measurements["average_voltage"] = power_df["V"].mean()
    power_array = power_df.to_numpy()
    test.measurements["average_current"] = power_array.mean(axis=0)[2]
    test.measurements["resistance"] = (
        test.measurements["average_voltage"] / test.measurements["average_current"]
    )


@htf.measures(
    htf.Measurement("resistance")
    .with_units("ohm")
    .in_range(minimum=5, maximum=17, marginal_minimum=9, marginal_maximum=11)
)
def marginal_measurements(test: Any) -> None:
    """Phase with a marginal measurement."""
    test.measurements.resistance = 13


MEASUREMENTS_PHASES = (
    hello_phase,
    again_phase,
    lots_of_measurements,
    measure_seconds,
    inline_phase,
    multdim_measurements,
    marginal_measurements,
)
"""``measurements.py``'s test (with its marginal phase, which its ``create_and_run_test`` omits)."""

# -- all_the_things.py -------------------------------------------------------------


@htf.measures(
    htf.Measurement("widget_type")
    .matches_regex(r".*Widget$")
    .doc("""This measurement tracks the type of widgets."""),
    htf.Measurement("widget_color").doc("Color of the widget"),
    htf.Measurement("widget_size").in_range(1, 4).doc("Size of widget"),
)
@htf.measures(
    "specified_as_args",
    docstring="Helpful docstring",
    units=units.HERTZ,
    validators=[validators.matches_regex("Measurement")],
)
def widget_phase(test: Any) -> None:
    """A hello world test phase (``all_the_things.hello_world``)."""
    test.logger.info("Hello World!")
    test.measurements.widget_type = "MyWidget"  # the operator's answer to the prompt
    test.measurements.widget_color = "Black"
    test.measurements.widget_size = 3
    test.measurements.specified_as_args = "Measurement args specified directly"
    test.logger.info("Plug value: %s", 1)


@htf.PhaseOptions(timeout_s=10)
@htf.measures(*(htf.Measurement(f"level_{i}") for i in ["none", "some", "all"]))
def set_measurements(test: Any) -> None:
    """Test phase that sets a measurement."""
    test.measurements.level_none = 0
    time.sleep(0.1)
    test.measurements.level_some = 8
    time.sleep(0.1)
    test.measurements.level_all = 9
    time.sleep(0.1)
    level_all = test.get_measurement("level_all")
    assert level_all.value == 9


@htf.measures(
    htf.Measurement("dimensions").with_dimensions(units.HERTZ),
    htf.Measurement("lots_of_dims").with_dimensions(
        units.HERTZ, units.SECOND, htf.Dimension(description="my_angle", unit=units.RADIAN)
    ),
)
def dimensions(test: Any) -> None:
    """Phase with dimensioned measurements."""
    for dim in range(5):
        test.measurements.dimensions[dim] = 1 << dim
    for x, y, z in zip(list(range(1, 5)), list(range(21, 25)), list(range(101, 105)), strict=True):
        test.measurements.lots_of_dims[x, y, z] = x + y + z


@htf.measures(
    htf.Measurement("replaced_min_only").in_range("{minimum}", 5, type=int),
    htf.Measurement("replaced_max_only").in_range(0, "{maximum}", type=int),
    htf.Measurement("replaced_min_max").in_range("{minimum}", "{maximum}", type=int),
)
def measures_with_args(test: Any, minimum: int, maximum: int) -> None:
    """Phase with measurement with arguments."""
    del minimum, maximum
    test.measurements.replaced_min_only = 1
    test.measurements.replaced_max_only = 1
    test.measurements.replaced_min_max = 1


@htf.measures(
    htf.Measurement("replaced_marginal_min_only").in_range(
        0, 10, "{marginal_minimum}", 8, type=int
    ),
    htf.Measurement("replaced_marginal_max_only").in_range(
        0, 10, 2, "{marginal_maximum}", type=int
    ),
    htf.Measurement("replaced_marginal_min_max").in_range(
        0, 10, "{marginal_minimum}", "{marginal_maximum}", type=int
    ),
)
def measures_with_marginal_args(test: Any, marginal_minimum: int, marginal_maximum: int) -> None:
    """Phase with measurement with marginal arguments."""
    del marginal_minimum, marginal_maximum
    test.measurements.replaced_marginal_min_only = 3
    test.measurements.replaced_marginal_max_only = 3
    test.measurements.replaced_marginal_min_max = 3


@htf.PhaseOptions(run_if=lambda: False)
def skip_phase() -> None:
    """Don't run this phase."""


def analysis(test: Any) -> None:
    level_all = test.get_measurement("level_all")
    assert level_all.value == 9
    lots_of_dims = test.get_measurement("lots_of_dims")
    assert lots_of_dims.value.value == [
        (1, 21, 101, 123),
        (2, 22, 102, 126),
        (3, 23, 103, 129),
        (4, 24, 104, 132),
    ]
    test.logger.info("Pandas datafram of lots_of_dims \n:%s", lots_of_dims.value.to_dataframe())


def teardown(test: Any) -> None:
    test.logger.info("Running teardown")


def all_the_things() -> htf.Test:
    """``all_the_things.make_test()`` without the monitor and the attachments phase."""
    return htf.Test(
        htf.PhaseGroup.with_teardown(teardown)(
            widget_phase,
            set_measurements,
            dimensions,
            skip_phase,
            measures_with_args.with_args(minimum=1, maximum=4),
            measures_with_marginal_args.with_args(marginal_minimum=4, marginal_maximum=6),
            analysis,
        ),
        test_name="MyTest",
        test_description="OpenHTF Example Test",
        test_version="1.0.0",
    )


# -- phase_groups.py ---------------------------------------------------------------


def setup_phase(test: Any) -> None:
    test.logger.info("Setup in a group.")


def main_phase(test: Any) -> None:
    test.logger.info("This is a main phase.")


def teardown_phase(test: Any) -> None:
    test.logger.info("Teardown phase.")


def inner_main_phase(test: Any) -> None:
    test.logger.info("Inner main phase.")


def inner_teardown_phase(test: Any) -> None:
    test.logger.info("Inner teardown phase.")


def error_main_phase(test: Any) -> htf.PhaseResult:
    test.logger.info("Error in main phase.")
    return htf.PhaseResult.STOP


def nested_error_groups() -> htf.Test:
    """``phase_groups.run_nested_error_groups``: the inner main phase stops the test."""
    return htf.Test(
        htf.PhaseGroup(
            main=[
                htf.PhaseGroup.with_teardown(inner_teardown_phase)(error_main_phase, main_phase),
                main_phase,
            ],
            teardown=[teardown_phase],
        )
    )


def basic_group() -> htf.Test:
    """``phase_groups.run_basic_group``: setup, main and teardown all run."""
    return htf.Test(
        htf.PhaseGroup(setup=[setup_phase], main=[main_phase], teardown=[teardown_phase])
    )
