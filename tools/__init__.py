"""Developer and operator tools: the local runner, its stand-ins and the deploy check.

Not part of the images: the services and their kernel live in ``backend/``.
"""
