"""Walks a long Twilio list and reports the Python heap in use (after a collection) at
each record, then the heap in use once every record is held at once (MicroPython).
args: base_url, page_size."""

import gc

import devicetest
from utwilio import rest

a = devicetest.args()
c = rest.Client("AC" + "0" * 32, "secret", base_url=a["base_url"])
count = 0
peak = 0
for _m in c.messages.list(page_size=a["page_size"]):
    count += 1
    gc.collect()
    peak = max(peak, gc.mem_alloc())
every = list(c.messages.list(page_size=a["page_size"]))
gc.collect()
devicetest.report({"count": count, "held": len(every), "peak_walking": peak,
                   "holding_all": gc.mem_alloc()})
