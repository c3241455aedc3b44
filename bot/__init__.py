"""newsbot: news links and topics → short, faithful points of attention."""

__version__ = "0.1.0"
