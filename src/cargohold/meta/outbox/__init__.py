"""The outbox's row writers: an audit record, an event with its webhook deliveries, a scan
request, a job, each appended within the transaction of the write that causes it
(``meta/effects.py`` calls them). They sit below every capability so that any capability's
write can commit what it causes."""
