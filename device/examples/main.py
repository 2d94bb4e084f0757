"""Pick the example this board runs."""

import temperature_alert

temperature_alert.main()
