"""Probing in worker processes: the checks of a site too large for one interpreter's core.

One Python process can take about 5,000 checks a second through the whole pipeline on a
small machine; 100,000 endpoints at 10 s are 10,000. With ``pulse run --probe-workers N``
the probes run in N worker processes (:mod:`.worker`), each with every probe type started
with the same defaults, and this process keeps everything else: the schedule, the state of
every endpoint, the store, alerting and the web API. Each probe type is a
:class:`~.remote.RemoteProbe` here, which checks in batches, so the scheduler hands over the
endpoints of a type due together as one message per worker; results come back as the
workers read them, a message per burst.

An endpoint always goes to the same worker (its id's hash), so a probe that keeps a session
or a connection per device keeps it. Retries stay here: a worker makes one attempt per
request, under its own watchdog, and this process decides whether to try again, exactly as
for a probe of its own. A worker that dies is started again; the checks it held fail with
the reason and are tried at their next run.
"""
