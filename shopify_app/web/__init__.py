"""What the web doors share: JSON:API documents, request bodies, the error handlers of /v1, /proxy and
/webhooks, resources."""
