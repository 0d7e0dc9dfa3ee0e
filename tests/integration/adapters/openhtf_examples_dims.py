# Copyright 2016 Google Inc. All Rights Reserved.

# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at

#     http://www.apache.org/licenses/LICENSE-2.0

# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""The dimensioned-measurement phases of OpenHTF's examples, copied as they are.

``multdim_measurements`` from ``examples/measurements.py`` and ``dimensions`` from
``examples/all_the_things.py`` (github.com/google/openhtf); only the formatting
and type hints are this project's.
"""

from __future__ import annotations

import random
from typing import Any

import openhtf as htf
from openhtf.util import units


# A multidim measurement including how to convert to a pandas dataframe and
# a numpy array.
@htf.measures(htf.Measurement("power_time_series").with_dimensions("ms", "V", "A"))
@htf.measures(htf.Measurement("average_voltage").with_units("V"))
@htf.measures(htf.Measurement("average_current").with_units("A"))
@htf.measures(htf.Measurement("resistance").with_units("ohm").in_range(9, 11))
def multdim_measurements(test: Any) -> None:
    """Phase with a multidimensional measurement."""
    # Create some fake current and voltage over time data
    for t in range(10):
        resistance = 10
        voltage = 10 + 10.0 * t
        current = voltage / resistance + 0.01 * random.random()
        dimensions = (t, voltage, current)
        test.measurements["power_time_series"][dimensions] = 0

    # When accessing your multi-dim measurement a DimensionedMeasuredValue
    # is returned.
    dim_measured_value = test.measurements["power_time_series"]

    # Let's convert that to a pandas dataframe
    power_df = dim_measured_value.to_dataframe(columns=["ms", "V", "A", "n/a"])
    test.logger.info("This is what a dataframe looks like:\n%s", power_df)
    test.measurements["average_voltage"] = power_df["V"].mean()

    # We can convert the dataframe to a numpy array as well
    power_array = power_df.to_numpy()
    test.logger.info("This is the same data in a numpy array:\n%s", power_array)
    test.measurements["average_current"] = power_array.mean(axis=0)[2]

    # Finally, let's estimate the resistance
    test.measurements["resistance"] = (
        test.measurements["average_voltage"] / test.measurements["average_current"]
    )


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
