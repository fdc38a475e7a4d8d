#!/usr/bin/env python3
"""Fills a moto_server with what snapshots-moto.sh audits, then turns on its IAM checks.

  moto_setup.py ENDPOINT

Through the AWS APIs, with botocore (as an operator's tools would):
  - IAM users: "auditor" with the README's least-privilege policy, and
    "partial" allowed rds:DescribeDBSnapshots only;
  - RDS: DB instance orders-db (moto adds an automated snapshot) with one
    manual snapshot; DB instance big-db with more manual snapshots than one
    page of DescribeDBSnapshots (MaxRecords 100); Aurora cluster
    orders-cluster with a manual cluster snapshot;
  - ElastiCache: replication group sessions with two manual snapshots.
Then POST /moto-api/reset-auth 0: from here on every request must be signed
by a key moto issued and be allowed by the user's policy.

Prints shell assignments: AUDITOR_KEY, AUDITOR_SECRET, PARTIAL_KEY,
PARTIAL_SECRET, BIG_DB_SNAPSHOTS and CLUSTER_SNAPSHOTS (counted by
botocore's own paginators).
Exit 77 when botocore is missing.
"""
import json
import sys
import urllib.request

try:
    import botocore.session
except ImportError:
    print("botocore is not installed (apt-get install python3-botocore)", file=sys.stderr)
    sys.exit(77)

BIG = 120  # > MaxRecords (100): two pages for a client that pages

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots",
                   "elasticache:DescribeSnapshots", "backup:ListBackupJobs",
                   "backup:ListRecoveryPointsByBackupVault"],
        "Resource": "*",
    }],
}
PARTIAL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["rds:DescribeDBSnapshots"], "Resource": "*"}],
}


def main():
    endpoint = sys.argv[1]
    session = botocore.session.get_session()
    kw = dict(region_name="eu-west-1", endpoint_url=endpoint, aws_access_key_id="setup",
              aws_secret_access_key="setup")
    iam = session.create_client("iam", **kw)
    rds = session.create_client("rds", **kw)
    ec = session.create_client("elasticache", **kw)
    out = {}
    for user, policy in (("auditor", POLICY), ("partial", PARTIAL)):
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="snapshots",
                            PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        out[user.upper() + "_KEY"] = key["AccessKeyId"]
        out[user.upper() + "_SECRET"] = key["SecretAccessKey"]

    for db in ("orders-db", "big-db"):
        rds.create_db_instance(DBInstanceIdentifier=db, DBInstanceClass="db.t3.micro",
                               Engine="mysql", AllocatedStorage=20, MasterUsername="admin",
                               MasterUserPassword="not-a-secret-1", BackupRetentionPeriod=7)
    rds.create_db_snapshot(DBInstanceIdentifier="orders-db",
                           DBSnapshotIdentifier="orders-before-upgrade")
    for i in range(BIG):
        rds.create_db_snapshot(DBInstanceIdentifier="big-db",
                               DBSnapshotIdentifier="big-manual-%03d" % i)
    pages = rds.get_paginator("describe_db_snapshots").paginate(
        DBInstanceIdentifier="big-db", PaginationConfig={"PageSize": 100})
    out["BIG_DB_SNAPSHOTS"] = sum(len(p["DBSnapshots"]) for p in pages)
    rds.create_db_cluster(DBClusterIdentifier="orders-cluster", Engine="aurora-mysql",
                          MasterUsername="admin", MasterUserPassword="not-a-secret-1")
    rds.create_db_cluster_snapshot(DBClusterIdentifier="orders-cluster",
                                   DBClusterSnapshotIdentifier="orders-cluster-manual")
    pages = rds.get_paginator("describe_db_cluster_snapshots").paginate(
        DBClusterIdentifier="orders-cluster")
    out["CLUSTER_SNAPSHOTS"] = sum(len(p["DBClusterSnapshots"]) for p in pages)

    ec.create_replication_group(ReplicationGroupId="sessions",
                                ReplicationGroupDescription="sessions",
                                CacheNodeType="cache.t3.micro", Engine="redis",
                                NumCacheClusters=1)
    for name in ("sessions-manual-1", "sessions-manual-2"):
        ec.create_snapshot(ReplicationGroupId="sessions", SnapshotName=name)

    # text/plain: moto reads the raw body, which a form content type would empty.
    req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=10) as r:
        json.load(r)
    for k, v in out.items():
        print("%s=%s" % (k, v))


if __name__ == "__main__":
    main()
