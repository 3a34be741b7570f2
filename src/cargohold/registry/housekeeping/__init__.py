"""Housekeeping: what gives space back besides garbage collection. An upload that failed for
want of space is discarded at once (``discard``); upload sessions abandoned for longer than
a setting are cancelled, with the stored bytes no session names any more (``uploads``); old
events, finished jobs, webhook deliveries and, only when asked, the audit log are pruned
(``pruning``); one recurring job runs the last two (``job``)."""
