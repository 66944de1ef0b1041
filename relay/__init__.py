"""The outbox relay: a process of its own (`flask --app webapp outbox relay`) that carries out
what transactions queued in the outbox (casemodel.services.outbox): flow run starts, resumes and
retries on Prefect, mails, SMS, digests and approved documents to their recipients, and looks
after stopped dossier runs (flows/reconcile.py).

    wake       the one thing the portal uses: after a commit that queued messages, a datagram
               that wakes the relay at once (stdlib only; never imports Prefect)
    delivery   deliver_due: claim, deliver, mark done, back off or give up; the handlers and
               their lanes (one per server the messages go to)
    flow_runs  the handlers that talk to Prefect
    loop       the relay's rounds, a thread per lane: woken or every interval; the reconciler
               and housekeeping

Only the relay (and the operators' CLI commands) import delivery, flow_runs and loop: a portal
process never loads Prefect.
"""
