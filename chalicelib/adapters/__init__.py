"""One module per outside system (DynamoDB, S3, SNS), behind small interfaces
the services use. All AWS access goes through boto3 clients made in aws.py."""
