"""What invokes functions besides the API: DynamoDB stream and SQS pollers, and the schedules."""
