"""An alert through the link, then polls until on_status has received the statuses
the agent forwards for its SMS up to "delivered" (or args["polls"] polls); reports
them. args: see link_device.make, plus polls."""

import devicetest
import link_device

a = link_device.args()
link = link_device.make(a)
statuses = []
link.on_status(statuses.append)
sent = link.alert("Greenhouse hot: 36.6C", "hot")
for _ in range(a.get("polls", 20)):
    if any(s.get("status") == "delivered" for s in statuses):
        break
    link.poll(1)
devicetest.report({"sent": sent, "statuses": statuses, "error": link.error})
