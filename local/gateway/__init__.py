"""The local API Gateway: the HTTP adapter, the routes, payload format 2.0 and the Cognito JWT authorizer."""
