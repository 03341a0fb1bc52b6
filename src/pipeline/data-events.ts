/**
 * The CloudTrail data events detection needs, by the `resources.type` a trail's advanced event
 * selector must name: CloudTrail requires `resources.type` in every data-event selector
 * (CloudTrail API Reference, "AdvancedFieldSelector"), so a selector naming only an event source
 * selects nothing. Both the organization trail the construct can create (`infra/trail.ts`) and
 * `bks coverage` (`src/coverage/trails.ts`) use these lists.
 */

export interface DataResourceType {
  readonly type: string;
  /** What the calls are, for people. */
  readonly what: string;
  /** A call logged under this type, where the source names one. */
  readonly eventName?: string;
}

/**
 * Amazon Bedrock (`bedrock.amazonaws.com`): resource types of the CloudTrail user guide's table
 * "Data events supported by AWS CloudTrail" that a key's holder can drive — agents, knowledge
 * bases, flows, guardrails, prompts, and the inference calls logged as data events (models:
 * bidirectional streaming; async invocations; inline agents). Event names: `InvokeAgent`,
 * `Retrieve`, `InvokeFlow` from the Bedrock API; `ApplyGuardrail` from the Bedrock user guide
 * ("Amazon Bedrock data events in CloudTrail"); none is given for the others.
 */
export const BEDROCK_DATA_RESOURCE_TYPES: readonly DataResourceType[] = [
  { type: 'AWS::Bedrock::AgentAlias', what: 'agent invocations', eventName: 'InvokeAgent' },
  { type: 'AWS::Bedrock::KnowledgeBase', what: 'knowledge-base retrievals', eventName: 'Retrieve' },
  { type: 'AWS::Bedrock::FlowAlias', what: 'flow invocations', eventName: 'InvokeFlow' },
  { type: 'AWS::Bedrock::Guardrail', what: 'guardrail evaluations', eventName: 'ApplyGuardrail' },
  { type: 'AWS::Bedrock::PromptVersion', what: 'prompt calls' },
  { type: 'AWS::Bedrock::Model', what: 'model calls logged as data events' },
  { type: 'AWS::Bedrock::AsyncInvoke', what: 'asynchronous invocations' },
  { type: 'AWS::Bedrock::InlineAgent', what: 'inline-agent invocations' },
];

/**
 * bedrock-mantle (`bedrock-mantle.amazonaws.com`), exactly as the Bedrock user guide page "Monitor
 * bedrock-mantle API calls using CloudTrail" configures a trail "to capture all bedrock-mantle
 * inference and file data events": one selector with these three types. The page's example record
 * shows `CreateInference` under `AWS::BedrockMantle::Project`; it does not say which of its data
 * events (inference: CreateInference, GetInference, CancelInference, DeleteInference, CountTokens;
 * files: ListFiles, CreateFile, GetFile, DeleteFile) carry the other two. It also lists
 * `AWS::BedrockMantle::Environment`, `Runtime` and `Skill` as resource types its events reference,
 * outside that selector; they are not selected here.
 */
export const MANTLE_DATA_RESOURCE_TYPES: readonly DataResourceType[] = [
  {
    type: 'AWS::BedrockMantle::Project',
    what: 'inference and file calls on projects',
    eventName: 'CreateInference',
  },
  { type: 'AWS::BedrockMantle::CustomizedModel', what: 'calls on customized models' },
  { type: 'AWS::BedrockMantle::Reservation', what: 'calls on reservations' },
];
