"""Messaging below the domains: notification delivery (e-mail, signed webhooks), on-call
teams and rotas, pages that escalate, and the delivery log. Stands on core only; the
domains plug in through ``rengo.notify.hooks``."""
