from . import portal, report, rollforward
