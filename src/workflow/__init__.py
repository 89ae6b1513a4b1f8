"""The Secondary Mastery Specialist workflow for Maths Hubs in England."""

__version__ = "0.1.0"
