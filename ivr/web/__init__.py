"""The report view: a small server-rendered web app over the household database.

``ivr.web.app.create_app(settings)`` builds it; ``ivr report serve`` runs it under uvicorn.
Nothing is imported here, so ``ivr.web.clicktocall`` stays cheap to import for the dialer.
"""
