"""A device on two agents (tests/agent/test_multi_agent.py): polls them in turn, one
Link each, sharing the memory of commands run, so a command redelivered by the other
agent (its ack was lost with the first) is acked again, not run again. Runs "job N"
commands until it has run `expect` of them; reports them in the order run.
args: urls [a, b], device, token, expect."""

import devicetest
from utwilio.link import Link

a = devicetest.args()
links = [Link(url, a["device"], a["token"], wait=1, timeout=10) for url in a["urls"]]
for link in links[1:]:
    link._recent = links[0]._recent  # one device, one memory of what it ran
ran = []


def job(args):
    ran.append(int(args))
    return "done " + args


for link in links:
    link.on("job", job)
turn = 0
while len(ran) < a["expect"]:
    links[turn % len(links)].poll(1)
    turn += 1
for link in links:  # acks still owed (an agent died between the run and the ack)
    link.poll(0)
devicetest.report({"ran": ran})
