// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...} inside plain strings
import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  type ConditionBlock,
  evaluatePolicies,
  isExplicitlyDenied,
  type PolicyDocument,
  PolicyError,
  type RequestContext,
  wildcardMatch,
} from '../../src/policy/evaluate';

const deny = (Condition: ConditionBlock, extra: Record<string, unknown> = {}): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition, ...extra }],
});
const req = (context: RequestContext, action = 's3:GetObject', resource = '*'): AuthorizationRequest => ({
  action,
  resource,
  context,
});
const denies = (c: ConditionBlock, context: RequestContext) => isExplicitlyDenied([deny(c)], req(context));

describe('condition operators', () => {
  // [operator block, context, denied?, why]
  const cases: [ConditionBlock, RequestContext, boolean, string][] = [
    [{ StringEquals: { 'k:a': 'x' } }, { 'k:a': 'x' }, true, 'equal'],
    [{ StringEquals: { 'k:a': 'x' } }, { 'k:a': 'X' }, false, 'values are case-sensitive'],
    [{ StringEquals: { 'K:A': 'x' } }, { 'k:a': 'x' }, true, 'key names are case-insensitive'],
    [{ StringEquals: { 'k:a': ['x', 'y'] } }, { 'k:a': 'y' }, true, 'values of one key are ORed'],
    [{ StringEquals: { 'k:a': 'x' } }, {}, false, 'absent key: positive operator is false'],
    [{ StringNotEquals: { 'k:a': 'x' } }, {}, true, 'absent key: negated operator is true'],
    [{ StringNotEquals: { 'k:a': ['x', 'y'] } }, { 'k:a': 'y' }, false, 'negated: must match none'],
    [{ StringNotEquals: { 'k:a': ['x', 'y'] } }, { 'k:a': 'z' }, true, 'negated: matches none'],
    [{ StringEqualsIgnoreCase: { 'k:a': 'x' } }, { 'k:a': 'X' }, true, 'IgnoreCase'],
    [{ StringNotEqualsIgnoreCase: { 'k:a': 'x' } }, { 'k:a': 'X' }, false, 'NotEqualsIgnoreCase'],
    [{ StringLike: { 'k:a': 'Bedrock*' } }, { 'k:a': 'BedrockAPIKey-ab' }, true, 'StringLike *'],
    [{ StringLike: { 'k:a': 'a?c' } }, { 'k:a': 'abc' }, true, 'StringLike ?'],
    [{ StringLike: { 'k:a': 'a?c' } }, { 'k:a': 'abbc' }, false, 'StringLike ? is one char'],
    [{ StringLike: { 'k:a': 'a.c' } }, { 'k:a': 'abc' }, false, 'regex characters are literal'],
    [{ StringNotLike: { 'k:a': 'Bedrock*' } }, { 'k:a': 'alice' }, true, 'StringNotLike'],
    [{ StringNotLike: { 'k:a': 'Bedrock*' } }, {}, true, 'StringNotLike on an absent key is true'],
    [{ NumericGreaterThan: { 'k:n': '90' } }, { 'k:n': 91 }, true, 'numeric >'],
    [{ NumericGreaterThan: { 'k:n': '90' } }, { 'k:n': 90 }, false, 'numeric > is strict'],
    [{ NumericGreaterThan: { 'k:n': '90' } }, { 'k:n': '365' }, true, 'numeric from text'],
    [{ NumericGreaterThan: { 'k:n': '90' } }, {}, false, 'numeric on an absent key is false'],
    [{ NumericGreaterThanEquals: { 'k:n': 90 } }, { 'k:n': 90 }, true, 'numeric >='],
    [{ NumericLessThan: { 'k:n': '1' } }, { 'k:n': 0 }, true, 'numeric <'],
    [{ NumericLessThanEquals: { 'k:n': '1' } }, { 'k:n': 2 }, false, 'numeric <='],
    [{ NumericEquals: { 'k:n': '7' } }, { 'k:n': 7 }, true, 'numeric ='],
    [{ NumericNotEquals: { 'k:n': '7' } }, { 'k:n': 8 }, true, 'numeric !='],
    [{ NumericEquals: { 'k:n': '7' } }, { 'k:n': 'seven' }, false, 'not a number never matches'],
    [{ Null: { 'k:n': 'true' } }, {}, true, 'Null true: absent'],
    [{ Null: { 'k:n': 'true' } }, { 'k:n': 5 }, false, 'Null true: present'],
    [{ Null: { 'k:n': 'false' } }, { 'k:n': 5 }, true, 'Null false: present'],
    [{ Null: { 'k:n': false } }, {}, false, 'Null false: absent'],
    [{ Null: { 'k:t': 'true' } }, { 'k:t': [] }, true, 'an empty list is absent'],
    [
      { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:00Z' } },
      { 'aws:tokenissuetime': '2026-11-20T11:00:00Z' },
      true,
      'date <',
    ],
    [
      { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:00Z' } },
      { 'aws:TokenIssueTime': new Date('2026-11-20T13:00:00Z') },
      false,
      'date < with a Date',
    ],
    [
      { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:00Z' } },
      {},
      false,
      'date on an absent key is false',
    ],
    [
      { DateGreaterThan: { 'aws:CurrentTime': '1700000000' } },
      { 'aws:CurrentTime': '2026-01-01T00:00:00Z' },
      true,
      'epoch seconds in the policy',
    ],
    [
      { DateGreaterThanEquals: { 'k:d': '2026-01-01T00:00:00Z' } },
      { 'k:d': 1767225600 },
      true,
      'epoch seconds in the context',
    ],
    [
      { DateLessThanEquals: { 'k:d': '2026-01-01T00:00:00Z' } },
      { 'k:d': 'garbage' },
      false,
      'unparsable date',
    ],
    [
      { DateEquals: { 'k:d': '2026-01-01T00:00:00Z' } },
      { 'k:d': '2026-01-01T00:00:00.000Z' },
      true,
      'date =',
    ],
    [
      { DateNotEquals: { 'k:d': '2026-01-01T00:00:00Z' } },
      { 'k:d': '2026-01-02T00:00:00Z' },
      true,
      'date !=',
    ],
    [{ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': false }, true, 'Bool false'],
    [{ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'TRUE' }, false, 'Bool true'],
    [{ Bool: { 'aws:SecureTransport': 'false' } }, {}, false, 'Bool on an absent key'],
    [{ BinaryEquals: { 'k:b': 'QmluYXJ5' } }, { 'k:b': 'QmluYXJ5' }, true, 'BinaryEquals'],
    [{ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '10.1.2.3' }, true, 'IPv4 CIDR'],
    [{ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '11.1.2.3' }, false, 'outside CIDR'],
    [
      { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } },
      { 'aws:SourceIp': '2001:db8::1' },
      true,
      'IPv6 CIDR',
    ],
    [
      { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.1.1'] } },
      { 'aws:SourceIp': '192.168.1.1' },
      false,
      'NotIpAddress single IP',
    ],
    [
      { ArnLike: { 'iam:PolicyARN': 'arn:*:iam::aws:policy/AmazonBedrockLimitedAccess' } },
      { 'iam:PolicyARN': 'arn:aws-us-gov:iam::aws:policy/AmazonBedrockLimitedAccess' },
      true,
      'ArnLike partition wildcard',
    ],
    [
      { ArnLike: { 'iam:PolicyARN': 'arn:*:iam::aws:policy/AmazonBedrockLimitedAccess' } },
      { 'iam:PolicyARN': 'arn:aws:iam::123456789012:policy/AmazonBedrockLimitedAccess' },
      false,
      'ArnLike: account component',
    ],
    [
      { ArnLike: { 'k:arn': 'arn:aws:iam::*:user/*' } },
      { 'k:arn': 'arn:aws:iam::123456789012:role/x' },
      false,
      'ArnLike resource',
    ],
    [
      { ArnLike: { 'k:arn': 'arn:aws:s3:::*' } },
      { 'k:arn': 'arn:aws:s3:::b/k:with:colons' },
      true,
      'colons in the resource part',
    ],
    [
      { ArnEquals: { 'k:arn': 'arn:aws:iam::*:root' } },
      { 'k:arn': 'arn:aws:iam::123456789012:root' },
      true,
      'ArnEquals takes wildcards like ArnLike',
    ],
    [
      { ArnNotLike: { 'k:arn': 'arn:aws:iam::*:role/Admin' } },
      { 'k:arn': 'arn:aws:iam::1:role/Admin' },
      false,
      'ArnNotLike',
    ],
    [{ ArnNotEquals: { 'k:arn': 'arn:aws:iam::*:role/Admin' } }, {}, true, 'ArnNotEquals on an absent key'],
    [{ StringEqualsIfExists: { 'k:a': 'x' } }, {}, true, 'IfExists: absent is true'],
    [{ StringEqualsIfExists: { 'k:a': 'x' } }, { 'k:a': 'y' }, false, 'IfExists: present is checked'],
    [{ NumericGreaterThanIfExists: { 'k:n': '90' } }, {}, true, 'numeric IfExists absent'],
    [{ StringNotEqualsIfExists: { 'k:a': 'x' } }, { 'k:a': 'x' }, false, 'negated IfExists present'],
    [
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
      { 'aws:TagKeys': ['z', 'b'] },
      true,
      'ForAnyValue: one matches',
    ],
    [
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
      { 'aws:TagKeys': ['z'] },
      false,
      'ForAnyValue: none',
    ],
    [{ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } }, {}, false, 'ForAnyValue: absent is false'],
    [
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } },
      { 'aws:TagKeys': [] },
      false,
      'ForAnyValue: empty is false',
    ],
    [
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
      { 'aws:TagKeys': ['a', 'b'] },
      true,
      'ForAllValues: subset',
    ],
    [
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
      { 'aws:TagKeys': ['a', 'c'] },
      false,
      'ForAllValues: one outside',
    ],
    [{ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } }, {}, true, 'ForAllValues: absent is true'],
    [
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } },
      { 'aws:TagKeys': [] },
      true,
      'ForAllValues: empty is true',
    ],
    [
      { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['a'] } },
      { 'aws:TagKeys': ['b', 'c'] },
      true,
      'ForAllValues negated',
    ],
    [
      { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': ['a*'] } },
      { 'aws:TagKeys': ['ab', 'c'] },
      true,
      'ForAnyValue negated',
    ],
    [
      { 'forallvalues:stringlike': { 'aws:TagKeys': ['a*'] } },
      { 'aws:TagKeys': ['ab'] },
      true,
      'operator names in any case',
    ],
    [
      { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['a'] } },
      {},
      true,
      'set operator with IfExists',
    ],
    [{ StringEquals: { 'k:a': 'x' } }, { 'k:a': ['y', 'x'] }, true, 'plain positive over a list: any value'],
    [{ StringNotEquals: { 'k:a': 'x' } }, { 'k:a': ['y', 'x'] }, false, 'plain negated over a list: none'],
    [{ StringEquals: { 'k:a': 'x', 'k:b': 'y' } }, { 'k:a': 'x' }, false, 'keys are ANDed'],
    [
      { StringEquals: { 'k:a': 'x' }, Bool: { 'k:b': 'true' } },
      { 'k:a': 'x', 'k:b': true },
      true,
      'operators are ANDed',
    ],
    [
      { StringEquals: { 'aws:username': '${aws:username}' } },
      { 'aws:username': 'alice' },
      true,
      'policy variable',
    ],
    [{ StringEquals: { 'k:a': '${k:missing}' } }, { 'k:a': '' }, false, 'missing variable matches nothing'],
    [{ StringEquals: { 'k:a': "${k:missing, 'dflt'}" } }, { 'k:a': 'dflt' }, true, 'variable default'],
    [{ StringLike: { 'k:a': 'x${*}' } }, { 'k:a': 'xyz' }, false, '${*} is a literal star'],
    [{ StringLike: { 'k:a': 'x${*}' } }, { 'k:a': 'x*' }, true, '${*} matches a star'],
  ];
  it.each(cases)('%j with %j → denied=%s (%s)', (condition, context, expected) => {
    expect(denies(condition, context)).toBe(expected);
  });
});

describe('actions and resources', () => {
  const policy = (statement: Record<string, unknown>): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', ...statement } as never],
  });
  const cases: [Record<string, unknown>, string, string, boolean][] = [
    [{ Action: 'bedrock:*', Resource: '*' }, 'bedrock:InvokeModel', '*', true],
    [{ Action: 'bedrock:*', Resource: '*' }, 'bedrock-mantle:CreateInference', '*', false],
    [{ Action: 'BEDROCK:callwithbearertoken', Resource: '*' }, 'bedrock:CallWithBearerToken', '*', true],
    [{ Action: 'iam:*AccessKey*', Resource: '*' }, 'iam:CreateAccessKey', '*', true],
    [{ Action: ['iam:CreateUser', 'iam:TagUser'], Resource: '*' }, 'iam:DeleteUser', '*', false],
    [
      { Action: '*', Resource: 'arn:*:iam::*:user/BedrockAPIKey-*' },
      'iam:CreateAccessKey',
      'arn:aws-cn:iam::123456789012:user/BedrockAPIKey-ab12',
      true,
    ],
    [
      { Action: '*', Resource: 'arn:*:iam::*:user/BedrockAPIKey-*' },
      'iam:CreateAccessKey',
      'arn:aws:iam::123456789012:user/bedrockapikey-ab12',
      false,
    ],
    [
      { Action: '*', Resource: 'arn:*:iam::*:user/BedrockAPIKey-*' },
      'iam:CreateAccessKey',
      'arn:aws:iam::123456789012:user/team/BedrockAPIKey-ab12',
      false,
    ],
    [{ NotAction: ['iam:*', 'sts:*'], Resource: '*' }, 'bedrock:InvokeModel', '*', true],
    [{ NotAction: ['iam:*', 'sts:*'], Resource: '*' }, 'iam:ListUsers', '*', false],
    [{ Action: '*', NotResource: 'arn:aws:s3:::safe/*' }, 's3:GetObject', 'arn:aws:s3:::safe/x', false],
    [{ Action: '*', NotResource: 'arn:aws:s3:::safe/*' }, 's3:GetObject', 'arn:aws:s3:::other/x', true],
    [
      { Action: '*', Resource: 'arn:aws:iam::*:user/${aws:username}' },
      'iam:GetUser',
      'arn:aws:iam::1:user/alice',
      true,
    ],
    [{ Action: '*' }, 's3:GetObject', 'arn:aws:s3:::x', true],
  ];
  it.each(cases)('%j on %s %s → denied=%s', (statement, action, resource, expected) => {
    expect(
      isExplicitlyDenied([policy(statement)], { action, resource, context: { 'aws:username': 'alice' } }),
    ).toBe(expected);
  });
});

describe('decisions', () => {
  const allowAll: PolicyDocument = {
    Version: '2012-10-17',
    Statement: { Effect: 'Allow', Action: '*', Resource: '*' },
  };
  const denyBedrock: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'NoBedrock', Effect: 'Deny', Action: 'bedrock:*', Resource: '*' }],
  };

  it('explicit deny wins over allow, and reports every matched statement', () => {
    const result = evaluatePolicies([allowAll, denyBedrock], {
      action: 'bedrock:InvokeModel',
      resource: '*',
    });
    expect(result.decision).toBe('Deny');
    expect(result.matchedStatements).toEqual([
      { policyIndex: 0, statementIndex: 0, effect: 'Allow' },
      { policyIndex: 1, statementIndex: 0, sid: 'NoBedrock', effect: 'Deny' },
    ]);
  });

  it('allows what is allowed and not denied; implicitly denies the rest', () => {
    expect(
      evaluatePolicies([allowAll, denyBedrock], { action: 's3:GetObject', resource: '*' }).decision,
    ).toBe('Allow');
    expect(evaluatePolicies([denyBedrock], { action: 's3:GetObject', resource: '*' }).decision).toBe(
      'ImplicitDeny',
    );
    expect(evaluatePolicies([], { action: 's3:GetObject', resource: '*' }).decision).toBe('ImplicitDeny');
  });

  it('denies everything issued before a time (the short-term key revocation)', () => {
    const revoke: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:00Z' } },
        },
      ],
    };
    const at = (t: string) => ({
      action: 'bedrock:InvokeModel',
      resource: '*',
      context: { 'aws:TokenIssueTime': t },
    });
    expect(isExplicitlyDenied([revoke], at('2026-11-20T11:59:59Z'))).toBe(true);
    expect(isExplicitlyDenied([revoke], at('2026-11-20T12:00:01Z'))).toBe(false);
    // A long-term key has no token issue time: the condition cannot hold.
    expect(isExplicitlyDenied([revoke], { action: 'bedrock:InvokeModel', resource: '*' })).toBe(false);
  });

  it('refuses what it does not understand instead of guessing', () => {
    expect(() => denies({ StringFuzzy: { 'k:a': 'x' } }, {})).toThrow(PolicyError);
    expect(() => denies({ NullIfExists: { 'k:a': 'true' } }, {})).toThrow(/unsupported condition operator/);
    expect(() => denies({ Null: { 'k:a': 'maybe' } }, {})).toThrow(/"true" or "false"/);
    expect(() => isExplicitlyDenied([deny({}, { Principal: '*' })], req({}))).toThrow(/Principal/);
    expect(() =>
      isExplicitlyDenied([{ Statement: [{ Effect: 'Deny', Resource: '*' }] } as PolicyDocument], req({})),
    ).toThrow(/Action or NotAction/);
    expect(() =>
      isExplicitlyDenied([{ Statement: [{ Effect: 'deny', Action: '*' }] } as never], req({})),
    ).toThrow(/Effect/);
  });

  it('does not substitute variables in 2008-10-17 policies', () => {
    const old: PolicyDocument = {
      Version: '2008-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: 'arn:aws:iam::1:user/${aws:username}' }],
    };
    expect(
      isExplicitlyDenied([old], {
        action: 'iam:GetUser',
        resource: 'arn:aws:iam::1:user/alice',
        context: { 'aws:username': 'alice' },
      }),
    ).toBe(false);
    expect(
      isExplicitlyDenied([old], { action: 'iam:GetUser', resource: 'arn:aws:iam::1:user/${aws:username}' }),
    ).toBe(true);
  });

  it('matches wildcards without regex surprises', () => {
    expect(wildcardMatch('a*b?c', 'a\nxxbzc', false)).toBe(true);
    expect(wildcardMatch('(a)+', '(a)+', false)).toBe(true);
    expect(wildcardMatch('(a)+', 'aa', false)).toBe(false);
  });
});
