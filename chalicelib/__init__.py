"""CRM - Cepat Respon Masyarakat: citizen complaints as cases, on AWS serverless.

domain/    the city's rules, no I/O        channels/  provider formats -> IncomingReport
services/  use cases                        adapters/  DynamoDB, S3, SNS
api/       HTTP blueprints                  workers/   stream, queue and schedule handlers
"""
